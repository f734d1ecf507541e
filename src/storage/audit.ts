import type { AuditUse } from "./call-row";
import type { Principal } from "../security/scopes";

export interface AuditEntry {
  action: string;
  target?: string;
  tenantId?: string | null;
  result: "ok" | "denied" | "not_found" | "error";
  requestId?: string;
}

/** Append-only: the API has no route that updates or deletes audit rows. */
export async function appendAudit(db: D1Database, principal: Principal, entry: AuditEntry): Promise<void> {
  const actor = principal.kind === "operator" ? "operator" : principal.keyId;
  const tenantId = entry.tenantId ?? (principal.kind === "key" ? principal.tenantId : null);
  await db
    .prepare(
      "INSERT INTO audit_log (at, actor, tenant_id, action, target, request_id, result) VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(
      new Date().toISOString(),
      actor,
      tenantId,
      entry.action,
      entry.target ?? null,
      entry.requestId ?? null,
      entry.result,
    )
    .run();
}

/**
 * A call's recorded key uses (src/storage/call-store.ts AuditUse) as audit rows: one row per
 * actor and result, its `at`, `action` and `request_id` those of the first use and `uses_json`
 * every use (time, request id, action). Written in the same D1 batch as the call's index update, so one sync costs one
 * row (plus its index entry) per kind of use instead of two per request.
 */
export function auditUseStatements(
  db: D1Database,
  tenantId: string,
  target: string,
  uses: readonly AuditUse[],
): D1PreparedStatement[] {
  const groups = new Map<string, AuditUse[]>();
  for (const u of uses) {
    const k = JSON.stringify([u.actor, u.result]);
    groups.set(k, [...(groups.get(k) ?? []), u]);
  }
  return [...groups.values()].map((g) => {
    const first = g[0] as AuditUse;
    return db
      .prepare(
        "INSERT INTO audit_log (at, actor, tenant_id, action, target, " +
          "request_id, result, uses_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      )
      .bind(
        first.at,
        first.actor,
        tenantId,
        first.action,
        target,
        first.requestId ?? null,
        first.result,
        g.length > 1 ? JSON.stringify(g.map((u) => [u.at, u.requestId ?? null, u.action])) : null,
      );
  });
}

export interface AuditQuery {
  tenantId?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  limit: number;
}

export async function queryAudit(db: D1Database, q: AuditQuery) {
  const where: string[] = [];
  const args: unknown[] = [];
  if (q.tenantId) {
    where.push("tenant_id = ?");
    args.push(q.tenantId);
  }
  if (q.from) {
    where.push("at >= ?");
    args.push(q.from);
  }
  if (q.to) {
    where.push("at < ?");
    args.push(q.to);
  }
  const sql = `SELECT * FROM audit_log ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY id DESC LIMIT ?`;
  const { results } = await db
    .prepare(sql)
    .bind(...args, q.limit)
    .all<{
      id: number;
      at: string;
      actor: string;
      tenant_id: string | null;
      action: string;
      target: string | null;
      request_id: string | null;
      result: string;
      uses_json: string | null;
    }>();
  // One entry per use: a row listing several (a call's sync) is expanded, newest first, and the
  // time window applies to each use.
  const entries = results.flatMap((r) => {
    const uses = r.uses_json
      ? (JSON.parse(r.uses_json) as [string, string | null, string?][])
      : [[r.at, r.request_id, r.action] as [string, string | null, string]];
    return uses
      .filter(([at]) => (!q.from || at >= q.from) && (!q.to || at < q.to))
      .map(([at, requestId, action]) => ({
        id: r.id,
        at,
        actor: r.actor,
        tenantId: r.tenant_id,
        action: action ?? r.action,
        target: r.target,
        requestId,
        result: r.result,
      }));
  });
  return entries.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : b.id - a.id)).slice(0, q.limit);
}
