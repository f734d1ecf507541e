import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, api, expectProblem, startCall, tenant } from "../helpers/api";

// OWASP API3:2023 Broken Object Property Level Authorization: responses carry only the fields a
// client may see (no tenant ids of calls, flow-machine state, archive marks, key hashes), and a
// request cannot set a property it does not own (tenant, status, timestamps): unknown fields are
// refused, not silently ignored.

const CALL_FIELDS = [
  "callId",
  "userId",
  "status",
  "language",
  "flow",
  "createdAt",
  "lastActivityAt",
  "endedAt",
  "endReason",
  "turnCount",
  "context",
  "metadata",
  "history",
  "tier",
  "residency",
];
const KEY_FIELDS = ["keyId", "tenantId", "name", "scopes", "createdAt", "revokedAt", "lastUsedAt", "residency"];

describe("object properties", () => {
  it("a call view exposes only its public fields, in every tier", async () => {
    const { key } = await tenant();
    const callId = await startCall(key);
    await api(`/api/v1/calls/${callId}/turns?reply=text`, {
      method: "POST",
      key,
      json: { text: "what is my balance" },
    });
    const hot = (await (await api(`/api/v1/calls/${callId}`, { key })).json()) as Record<string, unknown>;
    for (const field of Object.keys(hot)) expect(CALL_FIELDS, field).toContain(field);
    expect(JSON.stringify(hot)).not.toMatch(/tenantId|archivedAt|"state"/);

    await api(`/api/v1/calls/${callId}/end`, { method: "POST", key });
    const warm = (await (await api(`/api/v1/calls/${callId}`, { key })).json()) as Record<string, unknown>;
    expect(warm.tier).toBe("warm");
    for (const field of Object.keys(warm)) expect(CALL_FIELDS, field).toContain(field);
    const list = (await (await api("/api/v1/calls", { key })).json()) as { calls: Record<string, unknown>[] };
    expect(JSON.stringify(list)).not.toMatch(/tenantId|archivedAt/);
  });

  it("key views never carry the key or its hash, except the one-time create answer", async () => {
    const { tenantId } = await tenant();
    const created = (await (
      await api("/api/v1/admin/keys", { method: "POST", key: ADMIN_TOKEN, json: { tenantId, scopes: ["voice"] } })
    ).json()) as Record<string, unknown>;
    expect(Object.keys(created).sort()).toEqual([...KEY_FIELDS, "key"].sort());
    const listed = (await (await api(`/api/v1/admin/keys?tenantId=${tenantId}`, { key: ADMIN_TOKEN })).json()) as {
      keys: Record<string, unknown>[];
    };
    for (const k of listed.keys) for (const field of Object.keys(k)) expect(KEY_FIELDS, field).toContain(field);
    expect(JSON.stringify(listed)).not.toContain(String(created.key).slice(16));
  });

  it("refuses properties a client does not own instead of ignoring them", async () => {
    const a = await tenant();
    const b = await tenant();
    // Writing into another tenant by naming it in the body:
    await expectProblem(
      await api("/api/v1/calls", { method: "POST", key: a.key, json: { tenantId: b.tenantId } }),
      400,
      "invalid_request",
    );
    const callId = await startCall(a.key);
    for (const json of [
      { status: "ended" },
      { context: {}, status: "ended" },
      { context: {}, turnCount: 0 },
      { context: {}, createdAt: "2020-01-01T00:00:00Z" },
    ]) {
      await expectProblem(
        await api(`/api/v1/calls/${callId}`, { method: "PATCH", key: a.key, json }),
        400,
        "invalid_request",
      );
    }
    // Escalating a key's own scopes or tenant through key creation by a tenant admin key:
    await expectProblem(
      await api("/api/v1/admin/keys", {
        method: "POST",
        key: a.key,
        json: { tenantId: b.tenantId, scopes: ["admin"] },
      }),
      403,
      "forbidden",
    );
    const view = (await (await api(`/api/v1/calls/${callId}`, { key: a.key })).json()) as {
      status: string;
      turnCount: number;
    };
    expect(view).toMatchObject({ status: "active", turnCount: 0 });
  });

  it("problem bodies carry only the RFC 9457 fields, a code and the request id", async () => {
    const res = await api("/api/v1/calls/missing-call", { key: (await tenant()).key });
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["code", "detail", "requestId", "status", "title", "type"]);
  });
});
