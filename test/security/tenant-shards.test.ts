import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import worker from "../../src/index";
import { hashKey } from "../../src/security/api-keys";
import { resetAdmissionForTests } from "../../src/security/admission";
import { leaseSize, tenantLimits } from "../../src/security/tenant-limits";
import { callShardIndex, shardName, shardsPerRegion, tenantShard } from "../../src/security/tenant-shards";
import { ADMIN_TOKEN, apiRequest, expectProblem, tenant, type ApiInit } from "../helpers/api";

// A tenant's admission is spread over shards near its callers (src/durable/tenant-shard.ts), each
// leasing from the tenant's one exact TenantLimits object. These tests hold the design to its
// promises (docs/architecture.md, "Tenant limits off the turn's path"): a revocation reaches every
// region's shard before it is answered; the request rate and the active-call cap hold over all
// regions together, under concurrency; a busy tenant's load spreads over several shards.

beforeEach(() => resetAdmissionForTests());

/** Callers in three regions, as Cloudflare describes them in `request.cf`. */
const REGIONS = {
  weur: { continent: "EU", country: "FR", longitude: "2.35" },
  oc: { continent: "OC", country: "AU", longitude: "151.2" },
  enam: { continent: "NA", country: "US", longitude: "-77.0" },
} as const;
type Region = keyof typeof REGIONS;

function from(region: Region, vars: Record<string, string> = {}) {
  return async (path: string, init: ApiInit = {}): Promise<Response> => {
    const ctx = createExecutionContext();
    const req = apiRequest(path, { ...init, cf: REGIONS[region] } as ApiInit);
    const res = await worker.fetch(req, { ...env, ...vars } as Env, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  };
}

const keyIdOf = (key: string) => key.split("_")[1] as string;

/** What an isolate that never saw the key would be told by a region's shard. */
async function shardVerdict(tenantId: string, region: string, key: string) {
  const name = shardName(tenantId, region, 0);
  return tenantShard(env, name).lease(name, {
    tenantId,
    keyId: keyIdOf(key),
    keyHash: await hashKey(key),
    scope: "calls:read",
    rule: { perMinute: 1200, burst: 1200 },
    want: 1,
  });
}

describe("revocation across regions", () => {
  it("is in every region's shard before the revoke is answered", async () => {
    const { tenantId, key } = await tenant();
    for (const region of Object.keys(REGIONS) as Region[]) {
      expect((await from(region)("/api/v1/calls", { key })).status).toBe(200);
    }
    const shards = await tenantLimits(env, tenantId).shards();
    expect(shards.sort()).toEqual(["enam", "oc", "weur"].map((r) => shardName(tenantId, r, 0)));

    const revoked = await from("weur")(`/api/v1/admin/keys/${keyIdOf(key)}`, { method: "DELETE", key: ADMIN_TOKEN });
    expect(revoked.status).toBe(204);
    // Sydney's and Virginia's shards, which the revoking request never reached, refuse it already:
    // an isolate there without a verdict is refused on its next lease.
    expect(await shardVerdict(tenantId, "oc", key)).toEqual({ ok: false, reason: "unauthorized" });
    expect(await shardVerdict(tenantId, "enam", key)).toEqual({ ok: false, reason: "unauthorized" });
    resetAdmissionForTests();
    await expectProblem(await from("oc")("/api/v1/calls", { key }), 401, "unauthorized");
  });

  it("holds under concurrent requests from three regions: nothing is admitted once the revoke answered", async () => {
    const { tenantId, key } = await tenant();
    const regions = Object.keys(REGIONS) as Region[];
    let answeredAt = Infinity;
    const lateAdmissions: number[] = [];
    const traffic = Array.from({ length: 45 }, async (_, i) => {
      await new Promise((r) => setTimeout(r, i * 4));
      const sentAt = Date.now();
      const res = await from(regions[i % 3]!)("/api/v1/calls", { key });
      if (res.status === 200 && sentAt > answeredAt) lateAdmissions.push(sentAt - answeredAt);
      return res.status;
    });
    await new Promise((r) => setTimeout(r, 40));
    const revoke = await from("enam")(`/api/v1/admin/keys/${keyIdOf(key)}`, { method: "DELETE", key: ADMIN_TOKEN });
    answeredAt = Date.now();
    expect(revoke.status).toBe(204);
    const statuses = await Promise.all(traffic);
    expect(statuses.filter((s) => s !== 200 && s !== 401)).toEqual([]);
    // This isolate dropped its verdict when it revoked; other isolates would keep theirs at most
    // VERDICT_TTL_MS (admission.test.ts). Every shard refuses it now.
    expect(lateAdmissions).toEqual([]);
    for (const region of regions) {
      expect(await shardVerdict(tenantId, region, key)).toEqual({ ok: false, reason: "unauthorized" });
    }
  });
});

describe("the tenant's limits over all its regions", () => {
  it("never admits more requests than the tenant's one bucket held, from three regions at once", async () => {
    const { key } = await tenant();
    const vars = { TENANT_REQUESTS_PER_MINUTE: "600", TENANT_BURST: "10" };
    const regions = Object.keys(REGIONS) as Region[];
    const started = Date.now();
    const statuses = await Promise.all(
      Array.from({ length: 45 }, (_, i) => from(regions[i % 3]!, vars)("/api/v1/calls", { key }).then((r) => r.status)),
    );
    const elapsedMs = Date.now() - started;
    const admitted = statuses.filter((s) => s === 200).length;
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    // Exact from above: every token was taken from the bucket (10, and one per 100 ms since).
    expect(admitted).toBeLessThanOrEqual(10 + Math.ceil(elapsedMs / 100) + 1);
    // Under-served by at most the tokens left in pools: a lease per region and isolate.
    expect(admitted).toBeGreaterThanOrEqual(10 - 3 * leaseSize({ perMinute: 600, burst: 10 }));
  });

  it("holds the active-call cap over regions, and a full region takes slots another holds unused", async () => {
    const { key } = await tenant();
    const vars = { TENANT_MAX_ACTIVE_CALLS: "4" };
    const regions = Object.keys(REGIONS) as Region[];
    const created = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        from(regions[i % 3]!, vars)("/api/v1/calls?reply=text", { method: "POST", key, json: { callId: `c${i}` } }),
      ),
    );
    const ok = created.filter((r) => r.status === 201);
    expect(created.filter((r) => r.status === 429)).toHaveLength(8);
    expect(ok).toHaveLength(4);
    // End a call made from one region, then create from another: the slot moves over.
    const { callId } = (await ok[0]!.json()) as { callId: string };
    const ended = await from("weur", vars)(`/api/v1/calls/${callId}/end`, { method: "POST", key });
    expect(ended.status).toBe(200);
    const regionOfEnded = regions[Number(callId.slice(1)) % 3]!;
    const other = regions.find((r) => r !== regionOfEnded)!;
    const next = await from(other, vars)("/api/v1/calls?reply=text", { method: "POST", key, json: { callId: "next" } });
    expect(next.status).toBe(201);
    await expectProblem(
      await from(regionOfEnded, vars)("/api/v1/calls?reply=text", { method: "POST", key, json: { callId: "over" } }),
      429,
      "rate_limited",
    );
  });
});

describe("a busy tenant's load spread over shards", () => {
  it("gives each region several shards at 10,000 requests a second, and calls spread over them", async () => {
    const rule = { perMinute: 600_000, burst: 600_000 };
    const shards = shardsPerRegion(rule);
    expect(shards).toBeGreaterThanOrEqual(7);
    expect(shardsPerRegion({ perMinute: 1200, burst: 1200 })).toBe(1);
    const counts = new Array<number>(shards).fill(0);
    for (let i = 0; i < 7_000; i++) counts[callShardIndex(`call_${i.toString(36)}x`, shards)]! += 1;
    expect(Math.min(...counts)).toBeGreaterThan(800);
    expect(Math.max(...counts)).toBeLessThan(1_200);

    // Real calls of such a tenant land on several shards of their region.
    const { tenantId, key } = await tenant();
    const vars = { TENANT_REQUESTS_PER_MINUTE: "600000" };
    for (let i = 0; i < 12; i++) {
      const res = await from("oc", vars)("/api/v1/calls?reply=text", {
        method: "POST",
        key,
        json: { callId: `s${i}` },
      });
      expect(res.status).toBe(201);
    }
    const used = (await tenantLimits(env, tenantId).shards()).filter((s) => s.includes("|oc|"));
    expect(used.length).toBeGreaterThanOrEqual(3);
  });

  it("keeps every shard under 500 RPCs a second for a tenant at 10,000 requests a second in one region", () => {
    // The design's arithmetic, simulated: 200 isolates at 50 requests/s each (all of the tenant's
    // traffic in one region, the worst case), each drawing its shard at random once, and each
    // sending its shard a lease per leaseSize requests plus two verdict checks a second per key.
    const rule = { perMinute: 600_000, burst: 600_000 };
    const shards = shardsPerRegion(rule);
    const perIsolate = 50 / leaseSize(rule) + 2 * 3;
    let seed = 7;
    const random = () => (seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32;
    let worst = 0;
    for (let trial = 0; trial < 200; trial++) {
      const load = new Array<number>(shards).fill(0);
      for (let i = 0; i < 200; i++) load[Math.floor(random() * shards)]! += perIsolate;
      worst = Math.max(worst, ...load);
    }
    expect(worst).toBeLessThan(500);
  });
});
