import { describe, expect, it } from "vitest";
import { api, expectProblem, startCall, tenant } from "../helpers/api";

// OWASP API1:2023 Broken Object Level Authorization: with a valid key for tenant B, try every
// route on tenant A's call, and on an id that does not exist; both must look the same, and A's
// call must be untouched afterwards.
describe("tenant isolation", () => {
  it("answers 404 for another tenant's call on every call route", async () => {
    const a = await tenant();
    const b = await tenant();
    const callId = await startCall(a.key);
    await expectProblem(await api(`/api/v1/calls/${callId}`, { key: b.key }), 404, "call_not_found");
    await expectProblem(
      await api(`/api/v1/calls/${callId}/turns`, { method: "POST", key: b.key, json: { text: "hi" } }),
      404,
      "call_not_found",
    );
    await expectProblem(
      await api(`/api/v1/calls/${callId}`, { method: "PATCH", key: b.key, json: { context: { x: 1 } } }),
      404,
      "call_not_found",
    );
    await expectProblem(
      await api(`/api/v1/calls/${callId}/end`, { method: "POST", key: b.key }),
      404,
      "call_not_found",
    );
    await expectProblem(await api(`/api/v1/calls/${callId}`, { method: "DELETE", key: b.key }), 404, "call_not_found");
    const list = (await (await api("/api/v1/calls", { key: b.key })).json()) as { calls: unknown[] };
    expect(list.calls).toEqual([]);
    // and the owner still has it, untouched
    const own = (await (await api(`/api/v1/calls/${callId}`, { key: a.key })).json()) as { status: string };
    expect(own.status).toBe("active");
  });

  it("gives another tenant's call id exactly the answer a nonexistent id gets (no inference)", async () => {
    const a = await tenant();
    const b = await tenant();
    const callId = await startCall(a.key);
    for (const [path, init] of [
      ["", {}],
      ["/recording", {}],
      ["/turns", { method: "POST", json: { text: "hi" } }],
      ["/end", { method: "POST" }],
    ] as const) {
      const theirs = await api(`/api/v1/calls/${callId}${path}`, { ...init, key: b.key });
      const nobody = await api(`/api/v1/calls/no-such-call-${callId}${path}`, { ...init, key: b.key });
      expect(theirs.status, path).toBe(nobody.status);
      const [t, n] = [
        (await theirs.json()) as { code: string; detail: string },
        (await nobody.json()) as { code: string; detail: string },
      ];
      expect(t.code, path).toBe(n.code);
      expect(t.detail.replace(callId, "ID"), path).toBe(n.detail.replace(`no-such-call-${callId}`, "ID"));
    }
  });

  it("never reads another tenant's recording or audit trail", async () => {
    const a = await tenant();
    const b = await tenant();
    const callId = await startCall(a.key, {}, "");
    expect((await api(`/api/v1/calls/${callId}/recording`, { key: a.key })).status).toBe(200);
    await expectProblem(await api(`/api/v1/calls/${callId}/recording`, { key: b.key }), 404, "recording_not_found");
    await expectProblem(await api(`/api/v1/admin/audit?tenantId=${a.tenantId}`, { key: b.key }), 403, "forbidden");
    const own = (await (await api("/api/v1/admin/audit", { key: b.key })).json()) as {
      entries: { tenantId: string }[];
    };
    expect(own.entries.every((e) => e.tenantId === b.tenantId)).toBe(true);
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
