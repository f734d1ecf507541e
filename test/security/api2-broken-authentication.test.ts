import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, api, createKey, expectProblem, tenant, uid } from "../helpers/api";
import { advanceLimitsClock } from "../helpers/objects";

// OWASP API2:2023 Broken Authentication: missing, malformed, guessed, revoked and rotated
// credentials are refused; the operator token does only what it is for.
describe("authentication", () => {
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
    await expectProblem(
      await api("/api/v1/voice/synthesize", { method: "POST", key: readOnly, json: { text: "hi" } }),
      403,
      "forbidden",
    );
    await expectProblem(await api("/api/v1/admin/keys", { key: readOnly }), 403, "forbidden");
    expect((await api("/api/v1/calls", { key: readOnly })).status).toBe(200);
  });

  it("lets the operator token manage keys but not touch calls", async () => {
    await expectProblem(await api("/api/v1/calls", { key: ADMIN_TOKEN }), 403, "forbidden");
    expect((await api("/api/v1/admin/keys", { key: ADMIN_TOKEN })).status).toBe(200);
  });

  it("shows a key once, stores only its hash, and revokes it at once", async () => {
    const tenantId = uid("t");
    const created = await api("/api/v1/admin/keys", {
      method: "POST",
      key: ADMIN_TOKEN,
      json: { tenantId, scopes: ["calls:read"], name: "ci" },
    });
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
    await expectProblem(
      await api("/api/v1/admin/keys", {
        method: "POST",
        key: ADMIN_TOKEN,
        json: { tenantId: "a b", scopes: ["calls:read"] },
      }),
      400,
      "invalid_request",
    );
    await expectProblem(
      await api("/api/v1/admin/keys", {
        method: "POST",
        key: ADMIN_TOKEN,
        json: { tenantId: "acme", scopes: ["root"] },
      }),
      400,
      "invalid_request",
    );
  });

  it("keeps a tenant admin key inside its own tenant", async () => {
    const a = await tenant();
    await expectProblem(
      await api("/api/v1/admin/keys", {
        method: "POST",
        key: a.key,
        json: { tenantId: uid("other"), scopes: ["calls:read"] },
      }),
      403,
      "forbidden",
    );
    expect(
      (
        await api("/api/v1/admin/keys", {
          method: "POST",
          key: a.key,
          json: { tenantId: a.tenantId, scopes: ["calls:read"] },
        })
      ).status,
    ).toBe(201);
  });

  it("refuses a valid key id with a guessed secret, and takes the same path as an unknown id", async () => {
    const { key } = await tenant();
    const keyId = key.split("_")[1] as string;
    const guessed = `ve_${keyId}_${"A".repeat(43)}`;
    const unknown = `ve_${"Z".repeat(12)}_${"A".repeat(43)}`;
    const a = await expectProblem(await api("/api/v1/calls", { key: guessed }), 401, "unauthorized");
    const b = await expectProblem(await api("/api/v1/calls", { key: unknown }), 401, "unauthorized");
    expect(a.detail).toBe(b.detail);
  });

  it("refuses the operator token with a suffix or a prefix (compared whole, in constant time)", async () => {
    await expectProblem(await api("/api/v1/admin/keys", { key: `${ADMIN_TOKEN}x` }), 401, "unauthorized");
    await expectProblem(await api("/api/v1/admin/keys", { key: ADMIN_TOKEN.slice(0, -1) }), 401, "unauthorized");
  });

  it("rotates a key: the new one works at once, the old one until its grace period ends", async () => {
    const { tenantId, key } = await tenant();
    const keyId = key.split("_")[1] as string;
    const rotated = await api(`/api/v1/admin/keys/${keyId}/rotate`, {
      method: "POST",
      key: ADMIN_TOKEN,
      json: { graceSeconds: 60 },
    });
    expect(rotated.status).toBe(201);
    const body = (await rotated.json()) as {
      key: string;
      keyId: string;
      tenantId: string;
      scopes: string[];
      replaces: string;
      previousKeyExpiresAt: string;
    };
    expect(body).toMatchObject({ tenantId, replaces: keyId, scopes: ["calls:write", "calls:read", "voice", "admin"] });
    expect(body.key).not.toBe(key);
    expect((await api("/api/v1/calls", { key: body.key })).status).toBe(200);
    expect((await api("/api/v1/calls", { key })).status).toBe(200); // within the grace period

    // The grace period ends: move the clock of the tenant's limits object (which decides every
    // request of the tenant's keys) past it, as time would.
    await advanceLimitsClock(tenantId, 61_000);
    await expectProblem(await api("/api/v1/calls", { key }), 401, "unauthorized");
    expect((await api("/api/v1/calls", { key: body.key })).status).toBe(200);

    // A rotated key cannot be rotated again, and the audit log has the rotation.
    await expectProblem(
      await api(`/api/v1/admin/keys/${keyId}/rotate`, { method: "POST", key: ADMIN_TOKEN }),
      409,
      "key_revoked",
    );
    const audit = (await (await api(`/api/v1/admin/audit?tenantId=${tenantId}`, { key: ADMIN_TOKEN })).json()) as {
      entries: { action: string; target: string }[];
    };
    expect(audit.entries.some((e) => e.action === "key.rotate" && e.target === `${keyId}->${body.keyId}`)).toBe(true);
  });

  it("rotates without grace: the old key stops on the next request", async () => {
    const { key } = await tenant();
    const keyId = key.split("_")[1] as string;
    const rotated = (await (
      await api(`/api/v1/admin/keys/${keyId}/rotate`, { method: "POST", key: ADMIN_TOKEN })
    ).json()) as { key: string };
    await expectProblem(await api("/api/v1/calls", { key }), 401, "unauthorized");
    expect((await api("/api/v1/calls", { key: rotated.key })).status).toBe(200);
  });

  it("does not let one tenant's admin key rotate or revoke another tenant's key", async () => {
    const a = await tenant();
    const b = await tenant();
    const bKeyId = b.key.split("_")[1] as string;
    await expectProblem(
      await api(`/api/v1/admin/keys/${bKeyId}/rotate`, { method: "POST", key: a.key }),
      404,
      "key_not_found",
    );
    await expectProblem(
      await api(`/api/v1/admin/keys/${bKeyId}`, { method: "DELETE", key: a.key }),
      404,
      "key_not_found",
    );
    expect((await api("/api/v1/calls", { key: b.key })).status).toBe(200);
  });
});
