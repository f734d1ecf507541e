import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { TenantLimits } from "../../src/durable/tenant-limits";
import { KEY_TTL_MS, tenantLimits, type LeaseRequest } from "../../src/security/tenant-limits";
import worker from "../../src/index";
import { hashKey, readKeyRecord, type KeyRecord } from "../../src/security/api-keys";
import {
  ABSENT_KEY,
  ABSENT_KEY_TTL_MS,
  cachedKey,
  forgetKey,
  rememberAbsentKey,
  rememberKey,
} from "../../src/security/key-cache";
import { ADMIN_TOKEN, api, apiRequest, createKey, expectProblem, tenant, type ApiInit } from "../helpers/api";
import { advanceLimitsClock, requestShard, startedAgo } from "../helpers/objects";
import type { TenantShard } from "../../src/durable/tenant-shard";
import { resetAdmissionForTests } from "../../src/security/admission";

// A tenant request is authenticated and rate-limited in one round trip: the isolate caches what
// never changes about a key (its tenant, scopes, residency, hash: src/security/key-cache.ts), and
// the tenant's shard near the caller (TenantShard), told of every revocation and rotation, checks
// the key and takes the token in one `lease` RPC. These tests hold it to the security rules that must
// survive the cache: revocation on the next request, grace periods, tenants kept apart.

const keyIdOf = (key: string) => key.split("_")[1] as string;
const RULE = { perMinute: 600, burst: 600 };

/** The Worker with D1 and the tenant objects' namespaces wrapped to record key reads and RPCs. */
function instrumented(overrides: { keyChanged?: () => Promise<void> } = {}) {
  const rpcs: string[] = [];
  const keyQueries: string[] = [];
  const db = new Proxy(env.DB, {
    get(target, prop) {
      if (prop === "prepare") {
        return (sql: string) => {
          if (/\bapi_keys\b/.test(sql)) keyQueries.push(sql);
          return target.prepare(sql);
        };
      }
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const wrap = <T extends Rpc.DurableObjectBranded | undefined>(ns: DurableObjectNamespace<T>) => ({
    idFromName: (name: string) => ns.idFromName(name),
    get: (id: DurableObjectId, options?: DurableObjectNamespaceGetDurableObjectOptions) => {
      const stub = ns.get(id, options);
      return new Proxy(stub, {
        get(target, prop) {
          if (typeof prop !== "string" || prop === "then") return Reflect.get(target, prop) as unknown;
          if (prop === "keyChanged" && overrides.keyChanged) return overrides.keyChanged;
          return (...args: unknown[]) => {
            rpcs.push(prop);
            // An RPC stub answers any property as a remote method (even `apply`): call it as one.
            return (target as unknown as Record<string, (...a: unknown[]) => unknown>)[prop]?.(...args);
          };
        },
      });
    },
  });
  const namespaces = { TENANT_LIMITS: wrap(env.TENANT_LIMITS), TENANT_SHARD: wrap(env.TENANT_SHARD) };
  const testEnv = { ...env, DB: db, ...namespaces } as unknown as Env;
  // Each request here takes the waiting path, a lease from the tenant's object, as if this isolate's
  // verdicts and tokens had lapsed (admission.ts); "admitted alone" below covers the other path.
  const fetch = async (path: string, init: ApiInit = {}, alone = false): Promise<Response> => {
    if (!alone) resetAdmissionForTests();
    const ctx = createExecutionContext();
    const res = await worker.fetch(apiRequest(path, init), testEnv, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  };
  const reset = () => {
    rpcs.length = 0;
    keyQueries.length = 0;
  };
  return { fetch, rpcs, keyQueries, reset };
}

/** Key records the tenant's shard has read from D1 (its counter). */
function keyLoads(tenantId: string): Promise<number> {
  return runInDurableObject(requestShard(tenantId).stub, (instance: TenantShard) => instance.keyLoads);
}

async function record(key: string): Promise<KeyRecord> {
  const found = await readKeyRecord(env.DB, keyIdOf(key));
  expect(found).not.toBeNull();
  return found as KeyRecord;
}

/** A tenant whose key has been used twice: cached in this isolate, and its record held by its object. */
async function warmTenant() {
  const t = await tenant();
  resetAdmissionForTests();
  expect((await api("/api/v1/calls", { key: t.key })).status).toBe(200); // miss: D1, then a lease with the record
  resetAdmissionForTests();
  expect((await api("/api/v1/calls", { key: t.key })).status).toBe(200); // hit: the object reads the record once
  expect(cachedKey(keyIdOf(t.key))).toMatchObject({ tenantId: t.tenantId });
  expect(await keyLoads(t.tenantId)).toBe(1);
  return t;
}

describe("one round trip per tenant request", () => {
  it("takes exactly one shard RPC and no D1 key read on a cache hit", async () => {
    const { tenantId, key } = await warmTenant();
    const w = instrumented();
    for (let i = 0; i < 3; i++) expect((await w.fetch("/api/v1/calls", { key })).status).toBe(200);
    expect(w.rpcs).toEqual(["lease", "lease", "lease"]);
    expect(w.keyQueries).toEqual([]);
    // And the object answered from the record it holds, without reading D1 either.
    expect(await keyLoads(tenantId)).toBe(1);
  });

  it("on a cache miss reads the key once in D1 and still makes one RPC, whose object reads nothing", async () => {
    const { tenantId, key } = await tenant();
    forgetKey(keyIdOf(key));
    const w = instrumented();
    expect((await w.fetch("/api/v1/calls", { key })).status).toBe(200);
    expect(w.keyQueries).toHaveLength(1);
    expect(w.rpcs).toEqual(["lease"]);
    expect(await keyLoads(tenantId)).toBe(0);
    expect(cachedKey(keyIdOf(key))).toMatchObject({ tenantId });

    w.reset();
    expect((await w.fetch("/api/v1/calls", { key })).status).toBe(200);
    expect(w.keyQueries).toEqual([]);
    expect(w.rpcs).toEqual(["lease"]);
  });

  it("refuses an unknown key id on the same path as a known id's wrong secret (no key-id oracle)", async () => {
    const { key } = await warmTenant();
    const secret = "x".repeat(43);
    const wrongSecret = `ve_${keyIdOf(key)}_${secret}`;
    const unknownId = `ve_${crypto.randomUUID().replace(/-/g, "").slice(0, 12)}_${secret}`;
    const w = instrumented();
    const paths = async (presented: string) => {
      const seen: { d1: number; rpcs: number }[] = [];
      for (let i = 0; i < 3; i++) {
        w.reset();
        await expectProblem(await w.fetch("/api/v1/calls", { key: presented }), 401, "unauthorized");
        seen.push({ d1: w.keyQueries.length, rpcs: w.rpcs.length });
      }
      return seen;
    };
    // The same path for both, probe after probe: one D1 read on the first try, whether the id is
    // unknown or the key is in use here (cached), then a cache hit and one comparison. Before, an
    // unknown id read D1 on every request and a cached key's wrong secret never did.
    const expected = [
      { d1: 1, rpcs: 0 },
      { d1: 0, rpcs: 0 },
      { d1: 0, rpcs: 0 },
    ];
    expect(await paths(wrongSecret)).toEqual(expected);
    expect(await paths(unknownId)).toEqual(expected);
    expect(cachedKey(keyIdOf(unknownId))).toBe(ABSENT_KEY);
  });

  it("forgets an absent key id after a minute, so a key created later is found", async () => {
    const id = crypto.randomUUID().replace(/-/g, "").slice(0, 12);
    rememberAbsentKey(id, 1_000);
    expect(cachedKey(id, 1_000 + ABSENT_KEY_TTL_MS - 1)).toBe(ABSENT_KEY);
    expect(cachedKey(id, 1_000 + ABSENT_KEY_TTL_MS)).toBeUndefined();
  });

  it("keeps a call's slot seen from the call's own object, with no RPC on the turn's path", async () => {
    const { tenantId, key } = await warmTenant();
    const w = instrumented();
    const created = await w.fetch("/api/v1/calls?reply=text", { method: "POST", key, json: {} });
    expect(created.status).toBe(201);
    const { callId } = (await created.json()) as { callId: string };
    expect(w.rpcs).toEqual(["lease", "acquireCall"]);
    w.reset();
    await advanceLimitsClock(tenantId, 11 * 60_000);
    await startedAgo(tenantId, callId, 6 * 60); // a call's object marks its slot 5 minutes after its start
    expect(
      (await w.fetch(`/api/v1/calls/${callId}/turns?reply=text`, { method: "POST", key, json: { text: "billing" } }))
        .status,
    ).toBe(200);
    // The request leased (its verdict had lapsed); the mark is the call object's, in the background.
    expect(w.rpcs).toEqual(["lease"]);
    const { stub } = requestShard(tenantId);
    const age = () =>
      runInDurableObject(stub, (instance: TenantShard, state) => {
        const row = state.storage.sql
          .exec<{ seen_at: number }>("SELECT seen_at FROM active_calls_v2 WHERE call_id = ?", callId)
          .one();
        return instance.now() - row.seen_at;
      });
    const deadline = Date.now() + 2_000;
    while ((await age()) >= 60_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await age()).toBeLessThan(60_000);
  });

  it("checks a call's seen mark against storage at most every five minutes", async () => {
    const { tenantId, key } = await warmTenant();
    const created = await api("/api/v1/calls?reply=text", { method: "POST", key, json: {} });
    const { callId } = (await created.json()) as { callId: string };
    const { name, stub } = requestShard(tenantId);
    const seenAt = () =>
      runInDurableObject(
        stub,
        (_: TenantShard, state) =>
          state.storage.sql
            .exec<{ seen_at: number }>("SELECT seen_at FROM active_calls_v2 WHERE call_id = ?", callId)
            .one().seen_at,
      );
    const ageMark = (at: number) =>
      runInDurableObject(
        stub,
        (_: TenantShard, state) =>
          void state.storage.sql.exec("UPDATE active_calls_v2 SET seen_at = ? WHERE call_id = ?", at, callId),
      );

    await stub.seenCall(name, callId); // checked now
    await ageMark(1);
    await advanceLimitsClock(tenantId, 4 * 60_000);
    await stub.seenCall(name, callId); // within five minutes of the check: storage is not asked
    expect(await seenAt()).toBe(1);
    await advanceLimitsClock(tenantId, 2 * 60_000);
    await stub.seenCall(name, callId); // six minutes on: checked again, and the stale mark refreshed
    const now = await runInDurableObject(stub, (instance: TenantShard) => instance.now());
    expect(now - (await seenAt())).toBeLessThan(60_000);
  });
});

describe("revocation through the cache", () => {
  it("refuses a revoked key on the very next request although this isolate still caches it", async () => {
    const { key } = await warmTenant();
    expect((await api(`/api/v1/admin/keys/${keyIdOf(key)}`, { method: "DELETE", key: ADMIN_TOKEN })).status).toBe(204);
    expect(cachedKey(keyIdOf(key))).toBeDefined();
    await expectProblem(await api("/api/v1/calls", { key }), 401, "unauthorized");
    // Refused by its object, the key id leaves the cache: the next try is refused by D1 without an RPC.
    expect(cachedKey(keyIdOf(key))).toBeUndefined();
    const w = instrumented();
    await expectProblem(await w.fetch("/api/v1/calls", { key }), 401, "unauthorized");
    expect(w.rpcs).toEqual([]);
  });

  it("refuses a tenant admin key that revoked itself on its next request", async () => {
    const { tenantId, key } = await warmTenant();
    expect((await api(`/api/v1/admin/keys/${keyIdOf(key)}`, { method: "DELETE", key })).status).toBe(204);
    await expectProblem(await api(`/api/v1/admin/keys?tenantId=${tenantId}`, { key }), 401, "unauthorized");
  });

  it("keeps a rotated key working until its grace period ends, by the object's clock, then refuses it", async () => {
    const { tenantId, key } = await warmTenant();
    // 20 s of grace, under the object's key TTL: only the rotation's notice tells the object of it.
    const rotated = await api(`/api/v1/admin/keys/${keyIdOf(key)}/rotate`, {
      method: "POST",
      key: ADMIN_TOKEN,
      json: { graceSeconds: 20 },
    });
    expect(rotated.status).toBe(201);
    const next = ((await rotated.json()) as { key: string }).key;
    expect((await api("/api/v1/calls", { key })).status).toBe(200);
    expect((await api("/api/v1/calls", { key: next })).status).toBe(200);

    await advanceLimitsClock(tenantId, 15_000);
    expect((await api("/api/v1/calls", { key })).status).toBe(200);
    await advanceLimitsClock(tenantId, 7_000);
    await expectProblem(await api("/api/v1/calls", { key }), 401, "unauthorized");
    // Refused again on the D1 path (the cache forgot it), though D1's own clock is still in the grace period.
    await expectProblem(await api("/api/v1/calls", { key }), 401, "unauthorized");
    expect((await api("/api/v1/calls", { key: next })).status).toBe(200);
  });

  it("does not let a D1 read that raced a key change be kept", async () => {
    const { tenantId, key } = await tenant();
    const keyHash = await hashKey(key);
    const { name, stub } = requestShard(tenantId);
    const loads = await runInDurableObject(stub, async (instance: TenantShard) => {
      const req: LeaseRequest = { tenantId, keyId: keyIdOf(key), keyHash, scope: "calls:read", rule: RULE, want: 1 };
      const racing = instance.lease(name, req); // reads D1...
      await instance.keyChanged(name, keyIdOf(key)); // ...while the key changes
      expect((await racing).ok).toBe(true);
      expect((await instance.lease(name, req)).ok).toBe(true);
      return instance.keyLoads;
    });
    // The second request read D1 again instead of trusting the read that began before the change.
    expect(loads).toBe(2);
  });

  it("takes a change made in D1 outside the API within the shard's key TTL and one D1 read", async () => {
    const { tenantId, key } = await warmTenant();
    await env.DB.prepare("UPDATE api_keys SET revoked_at = ? WHERE key_id = ?")
      .bind(new Date(Date.now() - 1000).toISOString(), keyIdOf(key))
      .run();
    await advanceLimitsClock(tenantId, KEY_TTL_MS - 1);
    expect((await api("/api/v1/calls", { key })).status).toBe(200); // within the TTL: the shard's copy
    await advanceLimitsClock(tenantId, 1);
    // Past it, the shard answers from its copy while it reads D1 again (so no request waits for a
    // D1 far away); the read is done within a moment, and from then on the key is refused.
    const deadline = Date.now() + 2_000;
    let status = 200;
    while (status === 200 && Date.now() < deadline) {
      resetAdmissionForTests();
      status = (await api("/api/v1/calls", { key })).status;
    }
    expect(status).toBe(401);
  });

  it("answers 503 and claims nothing when the tenant's object cannot be told of a revocation", async () => {
    const { tenantId, key } = await warmTenant();
    const failing = instrumented({ keyChanged: () => Promise.reject(new Error("injected limits outage")) });
    const res = await failing.fetch(`/api/v1/admin/keys/${keyIdOf(key)}`, { method: "DELETE", key: ADMIN_TOKEN });
    const retryAfter = res.headers.get("Retry-After");
    const { detail } = await expectProblem(res, 503, "key_change_unconfirmed");
    expect(detail).toMatch(/repeat/i);
    expect(retryAfter).toBe("1");
    // Repeating it with the object reachable completes it, and the key is refused.
    expect((await api(`/api/v1/admin/keys/${keyIdOf(key)}`, { method: "DELETE", key: ADMIN_TOKEN })).status).toBe(204);
    await expectProblem(await api("/api/v1/calls", { key }), 401, "unauthorized");
    const audit = (await (await api(`/api/v1/admin/audit?tenantId=${tenantId}`, { key: ADMIN_TOKEN })).json()) as {
      entries: { action: string; result: string }[];
    };
    expect(audit.entries.filter((e) => e.action === "key.revoke").map((e) => e.result)).toEqual(["ok", "error"]);
  });

  it("undoes a rotation whose old key's object cannot be told, so repeating it works", async () => {
    const { tenantId, key } = await warmTenant();
    const failing = instrumented({ keyChanged: () => Promise.reject(new Error("injected limits outage")) });
    const res = await failing.fetch(`/api/v1/admin/keys/${keyIdOf(key)}/rotate`, {
      method: "POST",
      key: ADMIN_TOKEN,
      json: { graceSeconds: 0 },
    });
    await expectProblem(res, 503, "key_change_unconfirmed");
    const keys = (await (await api(`/api/v1/admin/keys?tenantId=${tenantId}`, { key: ADMIN_TOKEN })).json()) as {
      keys: { keyId: string; revokedAt: string | null }[];
    };
    expect(keys.keys).toEqual([expect.objectContaining({ keyId: keyIdOf(key), revokedAt: null })]);
    expect((await api("/api/v1/calls", { key })).status).toBe(200);

    const again = await api(`/api/v1/admin/keys/${keyIdOf(key)}/rotate`, {
      method: "POST",
      key: ADMIN_TOKEN,
      json: { graceSeconds: 0 },
    });
    expect(again.status).toBe(201);
    await expectProblem(await api("/api/v1/calls", { key }), 401, "unauthorized");
    expect((await api("/api/v1/calls", { key: ((await again.json()) as { key: string }).key })).status).toBe(200);
  });
});

describe("keys and tenants", () => {
  it("refuses a wrong secret for a valid key id, cached or not, without an RPC", async () => {
    const { tenantId, key } = await warmTenant();
    const guessed = `ve_${keyIdOf(key)}_${"A".repeat(43)}`;
    const w = instrumented();
    await expectProblem(await w.fetch("/api/v1/calls", { key: guessed }), 401, "unauthorized"); // cached key id
    forgetKey(keyIdOf(key));
    await expectProblem(await w.fetch("/api/v1/calls", { key: guessed }), 401, "unauthorized"); // D1 path
    expect(w.rpcs).toEqual([]);
    // The shard refuses it on its own too.
    const { name, stub } = requestShard(tenantId);
    const verdict = await stub.lease(name, {
      tenantId,
      keyId: keyIdOf(key),
      keyHash: await hashKey(guessed),
      scope: "calls:read",
      rule: RULE,
      want: 1,
    });
    expect(verdict).toEqual({ ok: false, reason: "unauthorized" });
    expect((await api("/api/v1/calls", { key })).status).toBe(200);
  });

  it("never authorises a key id cached for tenant A against tenant B's shard", async () => {
    const a = await warmTenant();
    const b = await warmTenant();
    const aRecord = await record(a.key);
    const keyHash = await hashKey(a.key);
    const bShard = requestShard(b.tenantId);
    const ask = (req: Partial<LeaseRequest>) =>
      bShard.stub.lease(bShard.name, {
        tenantId: b.tenantId,
        keyId: aRecord.keyId,
        keyHash,
        scope: "calls:read",
        rule: RULE,
        want: 1,
        ...req,
      });
    // B's shard: A's key with B's tenant, with A's tenant, and with A's record handed over as verified.
    expect(await ask({})).toEqual({ ok: false, reason: "unauthorized" });
    expect(await ask({ tenantId: a.tenantId })).toEqual({ ok: false, reason: "unauthorized" });
    expect(await ask({ verified: aRecord })).toEqual({ ok: false, reason: "unauthorized" });
    // sanity: the check is the tenant
    expect(await ask({ verified: { ...aRecord, tenantId: b.tenantId } })).toMatchObject({ ok: true });

    // An isolate whose cache wrongly says A's key id is tenant B's: refused, and the entry dropped.
    rememberKey({ ...aRecord, tenantId: b.tenantId });
    await expectProblem(await api("/api/v1/calls", { key: a.key }), 401, "unauthorized");
    expect(cachedKey(aRecord.keyId)).toBeUndefined();
    // The next request reads D1 and asks tenant A's object: the key works for its own tenant only.
    const res = await api("/api/v1/calls", { key: a.key });
    expect(res.status).toBe(200);
    expect(cachedKey(aRecord.keyId)).toMatchObject({ tenantId: a.tenantId });
  });
});

describe("limits in the same round trip", () => {
  const limited = (rate: string) => {
    const vars = { TENANT_REQUESTS_PER_MINUTE: rate };
    return async (path: string, init: ApiInit = {}) => {
      const ctx = createExecutionContext();
      const res = await worker.fetch(apiRequest(path, init), { ...env, ...vars } as Env, ctx);
      await waitOnExecutionContext(ctx);
      return res;
    };
  };

  it("still answers 429 with Retry-After, on a cache hit and on a miss", async () => {
    const call = limited("3");
    const { key } = await tenant();
    for (let i = 0; i < 3; i++) expect((await call("/api/v1/calls", { key })).status).toBe(200);
    expect(cachedKey(keyIdOf(key))).toBeDefined();
    const hit = await call("/api/v1/calls", { key });
    const retryAfter = hit.headers.get("Retry-After");
    await expectProblem(hit, 429, "rate_limited");
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(retryAfter)).toBeLessThanOrEqual(20);
    forgetKey(keyIdOf(key));
    const miss = await call("/api/v1/calls", { key });
    expect(miss.headers.get("Retry-After")).toMatch(/^[1-9]\d*$/);
    await expectProblem(miss, 429, "rate_limited");
    // A rate-limited key is still a valid key: it stays cached.
    expect(cachedKey(keyIdOf(key))).toBeDefined();
  });

  it("refuses a key without the route's scope before it spends a token", async () => {
    const call = limited("2");
    const readOnly = await createKey(`t_scope_${Date.now()}`, ["calls:read"]);
    for (let i = 0; i < 3; i++)
      await expectProblem(await call("/api/v1/calls", { method: "POST", key: readOnly, json: {} }), 403, "forbidden");
    expect((await call("/api/v1/calls", { key: readOnly })).status).toBe(200);
    expect((await call("/api/v1/calls", { key: readOnly })).status).toBe(200);
    await expectProblem(await call("/api/v1/calls", { key: readOnly }), 429, "rate_limited");
  });

  it("answers 429 when the tenant's shard is swamped", async () => {
    const { key } = await warmTenant();
    const overloaded = Object.assign(new Error("Durable Object is overloaded"), { overloaded: true });
    const namespace = {
      idFromName: (name: string) => env.TENANT_SHARD.idFromName(name),
      get: () => ({ lease: () => Promise.reject(overloaded) }),
    };
    resetAdmissionForTests();
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      apiRequest("/api/v1/calls", { key }),
      { ...env, TENANT_SHARD: namespace } as unknown as Env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.headers.get("Retry-After")).toBe("1");
    await expectProblem(res, 429, "rate_limited");
  });
});

describe("TenantLimits storage", () => {
  it("moves the first schema's active calls into active_calls_v2 (WITHOUT ROWID, no index) once", async () => {
    const stub = tenantLimits(env, `t_migrate_${Date.now()}`);
    const result = await runInDurableObject(stub, async (_instance: TenantLimits, state) => {
      const sql = state.storage.sql;
      // An object created before the change: the old table, its index, two slots.
      sql.exec(
        "CREATE TABLE active_calls (call_id TEXT PRIMARY KEY, acquired_at INTEGER NOT NULL, seen_at INTEGER NOT NULL)",
      );
      sql.exec("CREATE INDEX active_calls_seen ON active_calls (seen_at)");
      sql.exec("INSERT INTO active_calls VALUES ('a', 1, 10), ('b', 2, 20)");
      const migrated = new TenantLimits(state, env);
      const again = new TenantLimits(state, env); // a second start finds nothing left to move
      void again;
      return {
        rows: sql
          .exec<{ call_id: string; acquired_at: number; seen_at: number }>(
            "SELECT * FROM active_calls_v2 ORDER BY call_id",
          )
          .toArray(),
        schema: sql
          .exec<{ type: string; name: string; sql: string | null }>(
            "SELECT type, name, sql FROM sqlite_master WHERE name LIKE 'active_calls%'",
          )
          .toArray(),
        active: await migrated.activeCalls(),
      };
    });
    expect(result.rows).toEqual([
      { call_id: "a", acquired_at: 1, seen_at: 10 },
      { call_id: "b", acquired_at: 2, seen_at: 20 },
    ]);
    expect(result.active).toEqual(["a", "b"]);
    expect(result.schema.map((s) => s.name)).toEqual(["active_calls_v2"]);
    expect(result.schema[0]?.sql).toMatch(/WITHOUT ROWID/);
    // And the live object sees the moved slots.
    expect(await stub.activeCalls()).toEqual(["a", "b"]);
  });
});
