import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { errorMessage } from "../../lib/errors";
import { log } from "../../observability/log";
import { appendAudit, type AuditEntry } from "../../storage/audit";
import type { AppEnv } from "../env";

/** What a route records in the audit log for each use of a tenant key (declared with its scope, scoped()). */
export interface AuditAction {
  action: string;
  /**
   * The call's object records an accepted use itself, in the same write as the change it makes
   * (sent to D1's audit log with the call's next sync); this middleware then records only the
   * refusals and failures.
   */
  recordedByCall?: true;
}

function resultOf(status: number): AuditEntry["result"] {
  if (status < 400) return "ok";
  if (status === 401 || status === 403) return "denied";
  if (status === 404) return "not_found";
  return "error";
}

/**
 * Appends an audit record for the route's use of a tenant key, whatever the outcome, after the
 * response is ready, through waitUntil, so the caller never waits on D1; a failed audit write is
 * logged, never silently dropped. Runs after the route's scope check: a request the check refused
 * (no key, a wrong key, a missing scope, over the rate) made no use of the call.
 */
export function auditUse(audit: AuditAction) {
  return createMiddleware<AppEnv>(async (c, next) => {
    await next();
    const principal = c.get("principal");
    if (principal?.kind !== "key") return;
    // A request refused for the tenant's limits did nothing; auditing each would turn a flood into D1 writes.
    if (c.res.status === 429) return;
    if (audit.recordedByCall && c.res.status < 400) return;
    const target =
      c.req.param("callId") ??
      c.req.param("agentId") ??
      c.req.param("endpointId") ??
      c.res.headers.get("Location")?.split("/").pop();
    const entry: AuditEntry = {
      action: audit.action,
      result: resultOf(c.res.status),
      requestId: c.var.requestId,
      ...(target ? { target } : {}),
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

/**
 * Records a use whose outcome only the handler knows (reading a call or its recording, erasing
 * one): awaited, so the record exists before the answer does.
 */
export async function recordUse(c: Context<AppEnv>, action: string, target: string, found: boolean): Promise<void> {
  const entry: AuditEntry = { action, target, result: found ? "ok" : "not_found", requestId: c.var.requestId };
  await appendAudit(c.env.DB, c.var.principal, entry);
}
