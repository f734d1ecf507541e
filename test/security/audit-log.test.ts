import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, api, startCall, tenant } from "../helpers/api";

// The audit log: every key use on call data, every read of a call or recording, every erasure
// and key change, with who, tenant, action, target, time, request id and result; append-only.

type Entry = {
  actor: string;
  tenantId: string;
  action: string;
  target: string | null;
  requestId: string | null;
  result: string;
  at: string;
};

async function auditOf(tenantId: string, expected: number): Promise<Entry[]> {
  // Call-changing uses are written after the response (waitUntil): wait for them to land.
  for (let i = 0; i < 50; i++) {
    const { entries } = (await (
      await api(`/api/v1/admin/audit?tenantId=${tenantId}`, { key: ADMIN_TOKEN })
    ).json()) as { entries: Entry[] };
    if (entries.length >= expected) return entries;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`fewer than ${expected} audit entries for ${tenantId}`);
}

describe("audit log", () => {
  it("records each use of a key on call data, with its outcome and request id", async () => {
    const { tenantId, key } = await tenant();
    const keyId = key.split("_")[1] as string;
    const callId = await startCall(key, {}, ""); // with a spoken greeting, so there is a recording
    const turn = await api(`/api/v1/calls/${callId}/turns?reply=text`, {
      method: "POST",
      key,
      json: { text: "hello" },
      headers: { "X-Request-Id": "audit-turn-0001" },
    });
    expect(turn.status).toBe(200);
    await api(`/api/v1/calls/${callId}`, { method: "PATCH", key, json: { context: { a: 1 } } });
    await api(`/api/v1/calls/${callId}`, { key });
    await api(`/api/v1/calls/missing-call/turns`, { method: "POST", key, json: { text: "hi" } });
    await api(`/api/v1/calls/${callId}/end`, { method: "POST", key });
    await api(`/api/v1/calls/${callId}/recording`, { key });
    await api(`/api/v1/calls/${callId}`, { method: "DELETE", key });

    const entries = await auditOf(tenantId, 9);
    const seen = entries.map((e) => `${e.action} ${e.target} ${e.result}`);
    expect(seen).toEqual(
      expect.arrayContaining([
        `key.create ${keyId} ok`,
        `call.create ${callId} ok`,
        `call.turn ${callId} ok`,
        `call.update ${callId} ok`,
        `call.read ${callId} ok`,
        `call.turn missing-call not_found`,
        `call.end ${callId} ok`,
        `recording.read ${callId} ok`,
        `call.erase ${callId} ok`,
      ]),
    );
    // Each use is recorded once (the middleware must not run twice for one request).
    expect(entries.filter((e) => e.action === "call.create")).toHaveLength(1);
    expect(entries.filter((e) => e.action === "call.turn" && e.result === "ok")).toHaveLength(1);
    const turnEntry = entries.find((e) => e.action === "call.turn" && e.result === "ok");
    expect(turnEntry).toMatchObject({ actor: keyId, tenantId, requestId: "audit-turn-0001" });
  });

  it("cannot be changed or deleted through the API", async () => {
    const { tenantId, key } = await tenant();
    const callId = await startCall(key);
    // The call's own uses reach D1 with its sync or its archive (pipeline/lifecycle/archive-jobs.ts): end it.
    await api(`/api/v1/calls/${callId}/end`, { method: "POST", key });
    const before = await auditOf(tenantId, 3);
    for (const method of ["PUT", "PATCH", "DELETE", "POST"]) {
      const res = await api(`/api/v1/admin/audit?tenantId=${tenantId}`, { method, key: ADMIN_TOKEN, json: {} });
      expect(res.status, method).toBe(404);
    }
    // Nothing was added or removed, through the API or in the table (a call's uses share one row).
    const rows = await env.DB.prepare("SELECT COUNT(*) AS n FROM audit_log WHERE tenant_id = ?")
      .bind(tenantId)
      .first<{ n: number }>();
    expect(rows?.n).toBe(2);
    expect(await auditOf(tenantId, before.length)).toEqual(before);
  });
});
