import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { tenantLimits } from "../../src/security/tenant-limits";
import { api, expectProblem, tenant, type ApiInit } from "../helpers/api";
import {
  advanceLimitsClock,
  ageCall,
  apiWithSettings,
  callObject,
  jobsOf,
  makeJobsDue,
  requestShard,
  setCallBindings,
  startedAgo,
} from "../helpers/objects";
import type { TenantShard } from "../../src/durable/tenant-shard";

// OWASP API6:2023 Unrestricted Access to Sensitive Business Flows: a call holds speech providers,
// a Durable Object and storage for as long as it lasts, so a tenant may hold at most
// TENANT_MAX_ACTIVE_CALLS of them at once. A call takes a slot from its tenant's shard in the
// caller's region (within what the tenant's TenantLimits allots it) when it is created, and gives it
// back when it ends, however it ends.

const MAX = 2;
const settings = { TENANT_MAX_ACTIVE_CALLS: String(MAX) };

/** The Worker with TENANT_MAX_ACTIVE_CALLS=2. */
function limited(path: string, init: ApiInit = {}, vars: Record<string, string> = settings): Promise<Response> {
  return apiWithSettings(vars)(path, init);
}

function open(
  key: string,
  callId: string,
  extra: Record<string, unknown> = {},
  vars: Record<string, string> = settings,
): Promise<Response> {
  return limited("/api/v1/calls?reply=text", { method: "POST", key, json: { callId, ...extra } }, vars);
}

async function expectOpened(res: Response): Promise<void> {
  expect(res.status, await res.clone().text()).toBe(201);
}

async function expectRefused(res: Response): Promise<void> {
  const retryAfter = res.headers.get("Retry-After");
  const { detail } = await expectProblem(res, 429, "rate_limited");
  expect(retryAfter).toBe("5");
  expect(detail).toContain(`limit is ${MAX}`);
}

function slots(tenantId: string): Promise<string[]> {
  return tenantLimits(env, tenantId).activeCalls();
}

/** Waits (2 s at most) until the call's slot was marked seen at or after `at` on its shard's clock (ms from now). */
async function seenBy(tenantId: string, callId: string, sinceMs: number): Promise<void> {
  const { stub } = requestShard(tenantId);
  const seenAgo = () =>
    runInDurableObject(stub, (instance: TenantShard, state) => {
      const row = state.storage.sql.exec<{ seen_at: number }>(
        "SELECT seen_at FROM active_calls_v2 WHERE call_id = ?",
        callId,
      );
      return instance.now() - row.one().seen_at;
    });
  const deadline = Date.now() + 2_000;
  while ((await seenAgo()) >= sinceMs && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(await seenAgo()).toBeLessThan(sinceMs);
}

/** A tenant with MAX calls open, c1 and c2. */
async function fullTenant(options: { residency?: "eu" } = {}) {
  const t = await tenant(options);
  await expectOpened(await open(t.key, "c1"));
  await expectOpened(await open(t.key, "c2"));
  expect(await slots(t.tenantId)).toEqual(["c1", "c2"]);
  return t;
}

describe("concurrent calls per tenant", () => {
  it("refuses a call beyond TENANT_MAX_ACTIVE_CALLS with 429 and creates nothing, until one ends", async () => {
    const { tenantId, key } = await fullTenant();
    await expectRefused(await open(key, "c3"));
    // Nothing of c3 anywhere: no object, no index row, no slot.
    expect(await callObject(tenantId, "c3").get()).toBeNull();
    await expectProblem(await api("/api/v1/calls/c3", { key }), 404, "call_not_found");
    const list = (await (await api("/api/v1/calls", { key })).json()) as { calls: { callId: string }[] };
    expect(list.calls.map((c) => c.callId).sort()).toEqual(["c1", "c2"]);
    expect(await slots(tenantId)).toEqual(["c1", "c2"]);

    expect((await api("/api/v1/calls/c1/end", { method: "POST", key })).status).toBe(200);
    expect(await slots(tenantId)).toEqual(["c2"]);
    await expectOpened(await open(key, "c3"));
    await expectRefused(await open(key, "c4"));
  });

  it("is per tenant: another tenant opens its calls while this one is full", async () => {
    await fullTenant();
    const other = await tenant();
    await expectOpened(await open(other.key, "c1"));
    await expectOpened(await open(other.key, "c2"));
  });

  it("counts EU-resident calls the same", async () => {
    const { key } = await fullTenant({ residency: "eu" });
    await expectRefused(await open(key, "c3"));
  });

  it("releases the slot when the flow ends the call", async () => {
    const { tenantId, key } = await fullTenant();
    const res = await api("/api/v1/calls/c1/turns?reply=text", {
      method: "POST",
      key,
      json: { text: "that's all, goodbye" },
    });
    expect(((await res.json()) as { callStatus: string }).callStatus).toBe("ended");
    expect(await slots(tenantId)).toEqual(["c2"]);
    await expectOpened(await open(key, "c3"));
  });

  it("releases the slot when the call times out idle", async () => {
    const { tenantId, key } = await fullTenant();
    await ageCall(tenantId, "c1", 301);
    expect(await runDurableObjectAlarm(callObject(tenantId, "c1"))).toBe(true);
    const view = (await (await api("/api/v1/calls/c1", { key })).json()) as { status: string; endReason: string };
    expect(view).toMatchObject({ status: "ended", endReason: "idle_timeout" });
    expect(await slots(tenantId)).toEqual(["c2"]);
    await expectOpened(await open(key, "c3"));
  });

  it("releases the slot when the call is erased", async () => {
    const { tenantId, key } = await fullTenant();
    expect((await api("/api/v1/calls/c1", { method: "DELETE", key })).status).toBe(204);
    expect(await slots(tenantId)).toEqual(["c2"]);
    await expectOpened(await open(key, "c3"));
  });

  it("retries a failed release from the call's outbox and keeps the call until it succeeds", async () => {
    const { tenantId, key } = await fullTenant();
    const failingShards = {
      idFromName: (name: string) => env.TENANT_SHARD.idFromName(name),
      get: () => ({ releaseCall: () => Promise.reject(new Error("injected limits outage")) }),
    };
    await setCallBindings(tenantId, "c1", { TENANT_SHARD: failingShards } as unknown as Partial<Env>);
    const ended = (await (await api("/api/v1/calls/c1/end", { method: "POST", key })).json()) as { status: string };
    expect(ended.status).toBe("ended");
    const stub = callObject(tenantId, "c1");
    const outbox = () => jobsOf(stub);
    expect(await outbox()).toContainEqual(
      expect.objectContaining({ job: "release", lastError: "injected limits outage" }),
    );
    // The slot is still held, and the object still holds the call (a pending release lives in its outbox).
    expect(await slots(tenantId)).toEqual(["c1", "c2"]);
    expect(((await stub.get()) as { status: string } | null)?.status).toBe("ended");
    await expectRefused(await open(key, "c3"));

    await setCallBindings(tenantId, "c1", {});
    await makeJobsDue(stub);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await slots(tenantId)).toEqual(["c2"]);
    expect(await outbox()).toEqual([]);
    await expectOpened(await open(key, "c3"));
  });

  it("gives the slot back when creation fails after taking it", async () => {
    const { tenantId, key } = await tenant();
    // The call directory write (a call asking for EU residency) fails; nothing else does.
    const db = new Proxy(env.DB, {
      get(target, prop) {
        if (prop === "prepare") {
          return (sql: string) =>
            /INSERT INTO call_residency/.test(sql)
              ? { bind: () => ({ run: () => Promise.reject(new Error("injected D1 outage")) }) }
              : target.prepare(sql);
        }
        const value = Reflect.get(target, prop) as unknown;
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const res = await open(key, "c1", { residency: "eu" }, { ...settings, DB: db as unknown as string });
    await expectProblem(res, 500, "internal_error");
    expect(await slots(tenantId)).toEqual([]);
  });

  it("takes a slot once per call id", async () => {
    const { name, stub: shard } = requestShard(`t_direct_${Date.now()}`);
    const rule = { max: 2, staleAfterMs: 60_000 };
    expect(await shard.acquireCall(name, "a", rule)).toEqual({ ok: true, fresh: true, active: 1 });
    expect(await shard.acquireCall(name, "a", rule)).toEqual({ ok: true, fresh: false, active: 1 });
    expect(await shard.acquireCall(name, "b", rule)).toEqual({ ok: true, fresh: true, active: 2 });
    expect(await shard.acquireCall(name, "a", rule)).toEqual({ ok: true, fresh: false, active: 2 });
    expect(await shard.acquireCall(name, "c", rule)).toEqual({ ok: false, active: 2 });
    expect(await shard.releaseCall(name, "a", rule)).toBe(true);
    expect(await shard.releaseCall(name, "a", rule)).toBe(false);
    expect(await shard.acquireCall(name, "c", rule)).toMatchObject({ ok: true, fresh: true });
  });

  it("heals itself: a slot nothing has named for two idle timeouts and an hour is dropped", async () => {
    const { tenantId, key } = await fullTenant();
    const bound = (2 * 300 + 3600) * 1000;
    await advanceLimitsClock(tenantId, bound * 0.6);
    // A turn on c2 (started 6 minutes ago) has its call's object mark its slot as seen (in the
    // background); c1 is left alone.
    await startedAgo(tenantId, "c2", 6 * 60);
    expect(
      (await api("/api/v1/calls/c2/turns?reply=text", { method: "POST", key, json: { text: "billing" } })).status,
    ).toBe(200);
    await seenBy(tenantId, "c2", bound * 0.6);
    await advanceLimitsClock(tenantId, bound * 0.6);
    // c1's release was "lost" (it never ended): its slot has gone stale; c2's has not.
    await expectOpened(await open(key, "c3"));
    expect(await slots(tenantId)).toEqual(["c2", "c3"]);
    await expectRefused(await open(key, "c4"));
  });

  it("takes TENANT_MAX_ACTIVE_CALLS from the settings", async () => {
    const { key } = await tenant();
    const one = { TENANT_MAX_ACTIVE_CALLS: "1" };
    await expectOpened(await open(key, "c1", {}, one));
    const res = await open(key, "c2", {}, one);
    expect(res.status).toBe(429);
    expect(((await res.json()) as { detail: string }).detail).toContain("limit is 1");
  });
});
