import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import worker from "../../src/index";
import { revokeKey } from "../../src/security/api-keys";
import { resetAdmissionForTests, VERDICT_TTL_MS } from "../../src/security/admission";
import { leaseSize, tenantLimits } from "../../src/security/tenant-limits";
import { ADMIN_TOKEN, apiRequest, expectProblem, tenant, type ApiInit } from "../helpers/api";

// Requests admitted by the isolate alone between leases (src/security/admission.ts): no round trip
// to the tenant's shard for most requests, a tenant never over its rate, and a revocation
// in effect everywhere within VERDICT_TTL_MS.

beforeEach(() => resetAdmissionForTests());

/** The Worker with these settings, counting the leases it asks the tenant's shard for. */
function counted(vars: Record<string, string> = {}) {
  const leases: number[] = [];
  const namespace = {
    idFromName: (name: string) => env.TENANT_SHARD.idFromName(name),
    get: (id: DurableObjectId, options?: DurableObjectNamespaceGetDurableObjectOptions) => {
      const stub = env.TENANT_SHARD.get(id, options);
      return new Proxy(stub, {
        get(target, prop) {
          if (prop === "lease")
            return (shard: string, req: { want: number }) => {
              leases.push(req.want);
              return target.lease(shard, req as Parameters<typeof target.lease>[1]);
            };
          return Reflect.get(target, prop) as unknown;
        },
      });
    },
  };
  const testEnv = { ...env, ...vars, TENANT_SHARD: namespace } as unknown as Env;
  const fetch = async (path: string, init: ApiInit = {}): Promise<Response> => {
    const ctx = createExecutionContext();
    const res = await worker.fetch(apiRequest(path, init), testEnv, ctx);
    // The background lease a request may start runs in waitUntil: let it finish, as the runtime would.
    await waitOnExecutionContext(ctx);
    return res;
  };
  return { fetch, leases };
}

describe("requests admitted by the isolate alone", () => {
  it("makes one round trip to the tenant's shard for a lease's worth of requests, not one a request", async () => {
    const { key } = await tenant();
    const w = counted();
    const lease = leaseSize({ perMinute: 1200, burst: 1200 });
    expect(lease).toBe(10);
    for (let i = 0; i < 40; i++) expect((await w.fetch("/api/v1/calls", { key })).status).toBe(200);
    // The first request waits for a lease; the rest take leased tokens, leased again in the
    // background before they run out (and before the key's verdict is half a second old).
    expect(w.leases.length).toBeGreaterThanOrEqual(4);
    expect(w.leases.length).toBeLessThanOrEqual(12);
    // A lease asks for about a second of this isolate's demand, at most half a second of the rate.
    expect(Math.max(...w.leases)).toBeLessThanOrEqual(lease);
  });

  it("never admits more than the tenant's bucket held: leased tokens are spent in it first", async () => {
    const { key } = await tenant();
    // 600 a minute (leases of 5), 10 at once; a token every 100 ms comes back meanwhile.
    const w = counted({ TENANT_REQUESTS_PER_MINUTE: "600", TENANT_BURST: "10" });
    const started = Date.now();
    const answers = [];
    for (let i = 0; i < 30; i++) answers.push((await w.fetch("/api/v1/calls", { key })).status);
    const elapsedMs = Date.now() - started;
    const admitted = answers.filter((s) => s === 200).length;
    expect(answers.every((s) => s === 200 || s === 429)).toBe(true);
    expect(admitted).toBeGreaterThanOrEqual(10 - leaseSize({ perMinute: 600, burst: 10 }));
    expect(admitted).toBeLessThanOrEqual(10 + Math.ceil(elapsedMs / 100) + 1);
  });

  it("refuses a key revoked elsewhere once this isolate's verdict is VERDICT_TTL_MS old", async () => {
    const { tenantId, key } = await tenant();
    const w = counted();
    expect((await w.fetch("/api/v1/calls", { key })).status).toBe(200);
    // Revoked through another isolate: D1 and the tenant's shards know, this isolate was not told.
    const keyId = key.split("_")[1] as string;
    await revokeKey(env.DB, keyId);
    await tenantLimits(env, tenantId).keyChanged(keyId);
    const revokedAt = Date.now();
    // Within the bound, this isolate may still admit it from its verdict...
    let status = 200;
    while (status === 200 && Date.now() - revokedAt < VERDICT_TTL_MS + 500) {
      status = (await w.fetch("/api/v1/calls", { key })).status;
      if (status === 200) await new Promise((r) => setTimeout(r, 50));
    }
    // ...and no later than the bound it is refused.
    expect(status).toBe(401);
    expect(Date.now() - revokedAt).toBeLessThanOrEqual(VERDICT_TTL_MS + 200);
    await expectProblem(await w.fetch("/api/v1/calls", { key }), 401, "unauthorized");
  });

  it("refuses a key revoked through this isolate on its very next request", async () => {
    const { key } = await tenant();
    const w = counted();
    expect((await w.fetch("/api/v1/calls", { key })).status).toBe(200);
    const keyId = key.split("_")[1] as string;
    const revoked = await w.fetch(`/api/v1/admin/keys/${keyId}`, { method: "DELETE", key: ADMIN_TOKEN });
    expect(revoked.status).toBe(204);
    await expectProblem(await w.fetch("/api/v1/calls", { key }), 401, "unauthorized");
  });
});
