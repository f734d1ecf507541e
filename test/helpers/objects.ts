import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { CallSession } from "../../src/durable/call-session";
import type { SessionRecord } from "../../src/call/records";
import { type TenantLimits } from "../../src/durable/tenant-limits";
import type { TenantShard } from "../../src/durable/tenant-shard";
import { tenantLimits } from "../../src/security/tenant-limits";
import { ANY_REGION, shardName, tenantShard } from "../../src/security/tenant-shards";
import { resetAdmissionForTests } from "../../src/security/admission";
import worker from "../../src/index";
import { apiRequest, type ApiInit } from "./api";
import { callObjectName } from "../../src/storage/layout";
import { callNamespace } from "../../src/storage/residency";
import type { Residency } from "../../src/call/residency";

/** The Durable Object of one call, as the Worker addresses it (in its residency's namespace). */
export function callObject(
  tenantId: string,
  callId: string,
  residency: Residency | null = null,
): DurableObjectStub<CallSession> {
  const ns = callNamespace(env, residency);
  return ns.get(ns.idFromName(callObjectName(tenantId, callId))) as DurableObjectStub<CallSession>;
}

/**
 * Gives one call object other bindings or settings (an outage of D1 or R2, a cloud provider's
 * secrets), as a deployment with that configuration would run it. `{}` restores the test env.
 */
export async function setCallBindings(
  tenantId: string,
  callId: string,
  bindings: Partial<Env> | Record<string, string>,
  residency: Residency | null = null,
): Promise<void> {
  await runInDurableObject(callObject(tenantId, callId, residency), (instance) => {
    (instance as unknown as { env: Env }).env = { ...env, ...bindings } as Env;
  });
}

/** The Worker's fetch with extra vars/secrets, as a deployment with other settings would run it. */
export async function fetchWithSettings(vars: Record<string, string>, request: Request): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(request, { ...env, ...vars } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** `api()` against the Worker as a deployment with these settings would run it. */
export function apiWithSettings(vars: Record<string, string>) {
  return (path: string, init: ApiInit = {}): Promise<Response> => fetchWithSettings(vars, apiRequest(path, init));
}

/** Moves the call's last activity into the past, as if it had been silent that long. */
export async function ageCall(tenantId: string, callId: string, seconds: number): Promise<void> {
  await runInDurableObject(callObject(tenantId, callId), (instance: CallSession) => {
    // Through the object's own store: it keeps a copy of the session row it wrote.
    const store = (instance as unknown as CallStoreOf).store;
    const session = store.getSession() as SessionRecord;
    store.putSession({ ...session, lastActivityAt: new Date(Date.now() - seconds * 1000).toISOString() });
  });
}

/** Makes the call look started `seconds` ago (its slot's seen mark is due from its start: release-job.ts). */
export async function startedAgo(tenantId: string, callId: string, seconds: number): Promise<void> {
  await runInDurableObject(callObject(tenantId, callId), (instance: CallSession) => {
    const store = (instance as unknown as CallStoreOf).store;
    const session = store.getSession() as SessionRecord;
    store.putSession({ ...session, createdAt: new Date(Date.now() - seconds * 1000).toISOString() });
  });
}

/**
 * Moves the clocks of the tenant's limits object and of every shard it knows forward, as if that
 * much time had passed; this isolate's verdicts and leased tokens (security/admission.ts) lapse
 * with it, as they would.
 */
export async function advanceLimitsClock(tenantId: string, ms: number): Promise<void> {
  resetAdmissionForTests();
  const limits = tenantLimits(env, tenantId);
  await runInDurableObject(limits, (instance: TenantLimits) => {
    const before = instance.now;
    instance.now = () => before() + ms;
  });
  for (const name of await limits.shards()) {
    await runInDurableObject(tenantShard(env, name), (instance: TenantShard) => {
      const before = instance.now;
      instance.now = () => before() + ms;
    });
  }
}

/** The shard a test's requests reach: no `cf` (ANY_REGION), and one shard per region at the test rates. */
export function requestShard(tenantId: string): { name: string; stub: DurableObjectStub<TenantShard> } {
  const name = shardName(tenantId, ANY_REGION, 0);
  return { name, stub: tenantShard(env, name) };
}

type CallStoreOf = { store: import("../../src/storage/call-store").CallStore };

/** The call's outbox jobs (the outbox table's and the session row's), soonest first. */
export async function jobsOf(stub: DurableObjectStub<CallSession>) {
  return runInDurableObject(stub, (instance: CallSession) => (instance as unknown as CallStoreOf).store.outbox());
}

/** Makes every queued job of the call due now (time travel past its debounce or backoff). */
export async function makeJobsDue(stub: DurableObjectStub<CallSession>): Promise<void> {
  await runInDurableObject(stub, (instance: CallSession) => {
    const store = (instance as unknown as CallStoreOf).store;
    for (const job of store.outbox()) store.updateJob({ ...job, nextAt: 0 });
  });
}
