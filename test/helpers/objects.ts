import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { CallSession } from "../../src/durable/call-session";
import worker from "../../src/index";
import { callObjectName } from "../../src/storage/layout";
import { callNamespace, type Residency } from "../../src/storage/residency";

/** The Durable Object of one call, as the Worker addresses it (in its residency's namespace). */
export function callObject(tenantId: string, callId: string, residency: Residency | null = null): DurableObjectStub<CallSession> {
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
