import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { appendAudit, type AuditEntry } from "../../storage/audit";
import { log } from "../../observability/log";
import { errorMessage } from "../../lib/errors";

/** The call-changing routes and the audit action each records (reads and erasure audit themselves). */
const ACTIONS: { method: string; pattern: RegExp; action: string }[] = [
  { method: "POST", pattern: /^\/api\/v1\/calls\/?$/, action: "call.create" },
  { method: "PATCH", pattern: /^\/api\/v1\/calls\/([^/]+)$/, action: "call.update" },
  { method: "POST", pattern: /^\/api\/v1\/calls\/([^/]+)\/turns$/, action: "call.turn" },
  { method: "POST", pattern: /^\/api\/v1\/calls\/([^/]+)\/end$/, action: "call.end" },
];

function resultOf(status: number): AuditEntry["result"] {
  if (status < 400) return "ok";
  if (status === 401 || status === 403) return "denied";
  if (status === 404) return "not_found";
  return "error";
}

/**
 * Appends an audit record for every use of a tenant key on call data that changes it (creating a
 * call, a turn, a context change, ending), whatever the outcome. Uses the call's object accepted
 * are recorded by the object itself (flagged `auditedByCall`); the rest (refusals, failures, context
 * changes) are written here after the response is ready, through waitUntil, so the caller never
 * waits on D1; a failed audit write is logged, never silently dropped.
 */
export function auditCallUse() {
  return createMiddleware<AppEnv>(async (c, next) => {
    await next();
    const principal = c.get("principal");
    if (principal?.kind !== "key") return;
    const path = new URL(c.req.url).pathname;
    const route = ACTIONS.find((a) => a.method === c.req.method && a.pattern.test(path));
    // A request refused by the rate limiter did nothing; auditing each would turn a flood into D1 writes.
    // A create, turn or end the call's object accepted is recorded by the object, in the same
    // transaction as the change, and reaches D1 with the call's next sync (pipeline/lifecycle/archive-jobs.ts).
    if (!route || c.res.status === 429 || c.get("auditedByCall")) return;
    const target = route.pattern.exec(path)?.[1] ?? c.res.headers.get("Location")?.split("/").pop();
    const entry: AuditEntry = {
      action: route.action,
      result: resultOf(c.res.status),
      requestId: c.var.requestId,
      ...(target ? { target: decodeURIComponent(target) } : {}),
    };
    const write = appendAudit(c.env.DB, principal, entry).catch((err: unknown) => {
      log(
        "audit_write_failed",
        { requestId: c.var.requestId, action: entry.action, error: errorMessage(err) },
        "error",
      );
    });
    c.executionCtx.waitUntil(write);
  });
}
