import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { AuditUse } from "../../src/storage/call-row";
import type { SessionRecord } from "../../src/call/records";
import { auditUseStatements } from "../../src/storage/audit";
import { indexCall, writeCallArchive } from "../../src/storage/warm-store";
import { uid } from "../helpers/api";

// D1 bills every row written, index entries (and AUTOINCREMENT's sequence row) included; these are
// D1's own rows_written for what a call writes to the warm tier, the figures bench/cost-model.mjs prices.

function session(over: Partial<SessionRecord> = {}): SessionRecord {
  const now = new Date().toISOString();
  return {
    tenantId: uid("rows-tenant"),
    callId: uid("rows-call"),
    userId: null,
    language: "en-US",
    flow: "support",
    state: "start",
    context: {},
    metadata: {},
    status: "active",
    endReason: null,
    createdAt: now,
    lastActivityAt: now,
    endedAt: null,
    turnCount: 0,
    archivedAt: null,
    residency: null,
    ...over,
  };
}

const uses = (n: number): AuditUse[] =>
  Array.from({ length: n }, (_, i) => ({
    action: "call.turn",
    actor: "key_rows",
    at: new Date(Date.now() + i).toISOString(),
    result: "ok",
    requestId: `r${i}`,
  }));

describe("rows a call writes to D1", () => {
  it("3 at create, 3 a sync (the calls row, one audit row for all its uses), 4 at the archive", async () => {
    const s = session();
    // The calls row, its primary key's index (a rowid table keyed by two TEXT columns) and calls_by_tenant_created.
    expect(await indexCall(env.DB, s)).toBe(3);
    // A sync: the row changes no indexed column (1), and one audit row with its audit_by_tenant_at entry (2).
    const live = { ...s, turnCount: 4, lastActivityAt: new Date(Date.now() + 1000).toISOString() };
    expect(await indexCall(env.DB, live, auditUseStatements(env.DB, s.tenantId, s.callId, uses(4)))).toBe(3);
    // The archive: the ended row and its entry in the partial ended-calls index (2), the audit row (2).
    const ended: SessionRecord = {
      ...live,
      status: "ended",
      endReason: "client",
      endedAt: live.lastActivityAt,
      archivedAt: live.lastActivityAt,
    };
    expect(await writeCallArchive(env.DB, ended, [], auditUseStatements(env.DB, s.tenantId, s.callId, uses(1)))).toBe(
      4,
    );
  });

  it("keeps audit ids growing without AUTOINCREMENT (0007_audit_log_rowid.sql)", async () => {
    const s = session();
    await env.DB.batch(auditUseStatements(env.DB, s.tenantId, "a", uses(1)));
    await env.DB.batch(auditUseStatements(env.DB, s.tenantId, "b", uses(1)));
    const { results } = await env.DB.prepare("SELECT id, target FROM audit_log WHERE tenant_id = ? ORDER BY id")
      .bind(s.tenantId)
      .all<{ id: number; target: string }>();
    expect(results.map((r) => r.target)).toEqual(["a", "b"]);
    expect(results[1]!.id).toBeGreaterThan(results[0]!.id);
    const table = await env.DB.prepare("SELECT sql FROM sqlite_master WHERE name = 'audit_log'").first<{
      sql: string;
    }>();
    expect(table?.sql).not.toMatch(/AUTOINCREMENT/i);
  });
});
