import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, api, createKey, expectProblem, startCall, tenant, uid } from "../helpers/api";

describe("authentication and scopes", () => {
  it("refuses a request without a key", async () => {
    const res = await api("/api/v1/calls", { method: "POST", json: {} });
    await expectProblem(res, 401, "unauthorized");
    expect(res.headers.get("WWW-Authenticate")).toContain("Bearer");
  });

  it("refuses a wrong or malformed key", async () => {
    await expectProblem(await api("/api/v1/calls", { key: "ve_AAAAAAAAAAAA_" + "x".repeat(43) }), 401, "unauthorized");
    await expectProblem(await api("/api/v1/calls", { key: "not-a-key" }), 401, "unauthorized");
  });

  it("refuses a key without the route's scope", async () => {
    const readOnly = await createKey(uid("t"), ["calls:read"]);
    await expectProblem(await api("/api/v1/calls", { method: "POST", key: readOnly, json: {} }), 403, "forbidden");
    await expectProblem(await api("/api/v1/voice/synthesize", { method: "POST", key: readOnly, json: { text: "hi" } }), 403, "forbidden");
    await expectProblem(await api("/api/v1/admin/keys", { key: readOnly }), 403, "forbidden");
    expect((await api("/api/v1/calls", { key: readOnly })).status).toBe(200);
  });

  it("lets the operator token manage keys but not touch calls", async () => {
    await expectProblem(await api("/api/v1/calls", { key: ADMIN_TOKEN }), 403, "forbidden");
    expect((await api("/api/v1/admin/keys", { key: ADMIN_TOKEN })).status).toBe(200);
  });

  it("shows a key once, stores only its hash, and revokes it at once", async () => {
    const tenantId = uid("t");
    const created = await api("/api/v1/admin/keys", { method: "POST", key: ADMIN_TOKEN, json: { tenantId, scopes: ["calls:read"], name: "ci" } });
    expect(created.status).toBe(201);
    const { key, keyId } = (await created.json()) as { key: string; keyId: string };
    expect(key).toMatch(/^ve_[A-Za-z0-9]{12}_[A-Za-z0-9]{43}$/);

    const listed = await (await api(`/api/v1/admin/keys?tenantId=${tenantId}`, { key: ADMIN_TOKEN })).text();
    expect(listed).toContain(keyId);
    expect(listed).not.toContain(key.slice(16));

    expect((await api("/api/v1/calls", { key })).status).toBe(200);
    expect((await api(`/api/v1/admin/keys/${keyId}`, { method: "DELETE", key: ADMIN_TOKEN })).status).toBe(204);
    await expectProblem(await api("/api/v1/calls", { key }), 401, "unauthorized");
  });

  it("validates key creation input", async () => {
    await expectProblem(await api("/api/v1/admin/keys", { method: "POST", key: ADMIN_TOKEN, json: { tenantId: "a b", scopes: ["calls:read"] } }), 400, "invalid_request");
    await expectProblem(await api("/api/v1/admin/keys", { method: "POST", key: ADMIN_TOKEN, json: { tenantId: "acme", scopes: ["root"] } }), 400, "invalid_request");
  });

  it("keeps a tenant admin key inside its own tenant", async () => {
    const a = await tenant();
    await expectProblem(await api("/api/v1/admin/keys", { method: "POST", key: a.key, json: { tenantId: uid("other"), scopes: ["calls:read"] } }), 403, "forbidden");
    expect((await api("/api/v1/admin/keys", { method: "POST", key: a.key, json: { tenantId: a.tenantId, scopes: ["calls:read"] } })).status).toBe(201);
  });
});

describe("tenant isolation", () => {
  it("answers 404 for another tenant's call on every call route", async () => {
    const a = await tenant();
    const b = await tenant();
    const callId = await startCall(a.key);
    await expectProblem(await api(`/api/v1/calls/${callId}`, { key: b.key }), 404, "call_not_found");
    await expectProblem(await api(`/api/v1/calls/${callId}/turns`, { method: "POST", key: b.key, json: { text: "hi" } }), 404, "call_not_found");
    await expectProblem(await api(`/api/v1/calls/${callId}`, { method: "PATCH", key: b.key, json: { context: { x: 1 } } }), 404, "call_not_found");
    await expectProblem(await api(`/api/v1/calls/${callId}/end`, { method: "POST", key: b.key }), 404, "call_not_found");
    await expectProblem(await api(`/api/v1/calls/${callId}`, { method: "DELETE", key: b.key }), 404, "call_not_found");
    const list = (await (await api("/api/v1/calls", { key: b.key })).json()) as { calls: unknown[] };
    expect(list.calls).toEqual([]);
    // and the owner still has it, untouched
    const own = (await (await api(`/api/v1/calls/${callId}`, { key: a.key })).json()) as { status: string };
    expect(own.status).toBe("active");
  });

  it("lets two tenants use the same call id independently", async () => {
    const a = await tenant();
    const b = await tenant();
    await startCall(a.key, { callId: "shared-id" });
    await startCall(b.key, { callId: "shared-id" });
    await api("/api/v1/calls/shared-id/turns", { method: "POST", key: a.key, json: { text: "hello" } });
    const bView = (await (await api("/api/v1/calls/shared-id", { key: b.key })).json()) as { history: unknown[] };
    expect(bView.history).toHaveLength(1); // only b's greeting
  });
});
