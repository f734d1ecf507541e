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
    .bind(new Date().toISOString(), actor, tenantId, entry.action, entry.target ?? null, entry.requestId ?? null, entry.result)
    .run();
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
  const { results } = await db.prepare(sql).bind(...args, q.limit).all<{
    id: number; at: string; actor: string; tenant_id: string | null; action: string; target: string | null; request_id: string | null; result: string;
  }>();
  return results.map((r) => ({
    id: r.id, at: r.at, actor: r.actor, tenantId: r.tenant_id, action: r.action, target: r.target, requestId: r.request_id, result: r.result,
  }));
}
