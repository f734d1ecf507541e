import type { CallSession } from "../../durable/call-session";
import type { Context } from "hono";
import type { AppEnv } from "../env";
import type { RpcFailure, RpcResult } from "../../pipeline/types";
import { ApiError, errors } from "../../lib/errors";
import type { TenantRef } from "../middleware/auth";
import { transcriptExists } from "../../storage/cold-store";
import { callObjectName } from "../../storage/layout";
import type { LocationHint } from "../../storage/location-hint";
import { archiveBucket, callNamespace } from "../../storage/residency";
import type { Residency } from "../../call/residency";
import { callIdRecorded, callResidencyOf } from "../../storage/residency-store";

/**
 * The RPC surface of a call object, typed as declared. (The generic stub type re-derives every
 * return type through Rpc's serialization mapping, which gives up on `Record<string, unknown>`
 * context; the values themselves are plain structured-clonable data.)
 */
export type CallRpc = Pick<
  CallSession,
  "create" | "get" | "patchContext" | "turn" | "turnEvents" | "end" | "audio" | "erase"
>;

/** Location hints that keep their meaning inside the EU jurisdiction. */
const EU_HINTS: ReadonlySet<LocationHint> = new Set(["weur", "eeur"]);

/**
 * The call's Durable Object, named by tenant and call id so tenants never share an object, in the
 * namespace of the call's residency. A location hint (given when the call is created) places a
 * new object near the caller; an EU call takes only European hints (the jurisdiction decides).
 */
export function callStub(
  env: Env,
  tenantId: string,
  callId: string,
  residency: Residency | null,
  locationHint?: LocationHint,
): CallRpc {
  const ns = callNamespace(env, residency);
  const hint = residency === "eu" && locationHint && !EU_HINTS.has(locationHint) ? undefined : locationHint;
  return ns.get(
    ns.idFromName(callObjectName(tenantId, callId)),
    hint ? { locationHint: hint } : undefined,
  ) as unknown as CallRpc;
}

/** Where a call lives: its tenant's residency, else the one the call asked for (the D1 call directory). */
export async function residencyOfCall(env: Env, tenant: TenantRef, callId: string): Promise<Residency | null> {
  return tenant.residency ?? (await callResidencyOf(env.DB, tenant.tenantId, callId));
}

/**
 * Runs one RPC on a call's object. An EU tenant's calls are all in the EU namespace. Another
 * tenant's calls are nearly all in the plain one, so that is asked first, and the call directory
 * only when the object there holds no call: only calls that asked for EU residency pay for the
 * extra lookup. Returns the answer and the residency of the object that gave it.
 */
export async function onCall<R>(
  env: Env,
  tenant: TenantRef,
  callId: string,
  op: (stub: CallRpc) => Promise<R>,
  isMissing: (answer: R) => boolean,
): Promise<{ answer: R; residency: Residency | null }> {
  const first = await op(callStub(env, tenant.tenantId, callId, tenant.residency));
  if (tenant.residency || !isMissing(first)) return { answer: first, residency: tenant.residency };
  const residency = await callResidencyOf(env.DB, tenant.tenantId, callId);
  if (!residency) return { answer: first, residency: null };
  return { answer: await op(callStub(env, tenant.tenantId, callId, residency)), residency };
}

/** For RPC answers that are results: "no such call" from the object. */
export const notFoundAnswer = (r: { ok: unknown } | RpcFailure): boolean =>
  "error" in r && r.error.code === "call_not_found";

/** Turns an RPC failure back into the ApiError the object raised. */
export function unwrap<R extends { ok: unknown } | RpcFailure>(result: R): Extract<R, { ok: unknown }>["ok"] {
  if ("error" in result) {
    const e = result.error;
    throw new ApiError(e.status as ApiError["status"], e.code, e.detail, e.headers ? { headers: e.headers } : {});
  }
  return (result as Extract<R, { ok: unknown }>).ok;
}

/**
 * The answer of an RPC the call's object carried out for this request (create, turn, end): the
 * object recorded the request's key use itself (these routes declare `recordedByCall`), and handed
 * back the call event this request's log line is (asked with eventOnRequestLine). A failure throws
 * the object's ApiError.
 */
export function acceptedAnswer<R extends RpcResult<unknown>>(
  c: Context<AppEnv>,
  answer: R,
): Extract<R, { ok: unknown }>["ok"] {
  const ok = unwrap(answer);
  if ("ok" in answer && answer.event) c.set("callEvent", answer.event);
  return ok;
}

/**
 * A call's object empties once the call is archived, so "no such call" from the object may still
 * mean an ended call that D1 or R2 holds: that is 409 call_ended, not 404.
 */
export async function throwEndedOrMissing(
  env: Env,
  tenantId: string,
  callId: string,
  residency: Residency | null,
): Promise<never> {
  if (await archivedCallExists(env, tenantId, callId, residency)) throw errors.callEnded(callId);
  throw errors.callNotFound(callId);
}

/** Whether D1 or R2 holds the call (an ended call whose object has emptied) or the directory names it. */
export async function archivedCallExists(
  env: Env,
  tenantId: string,
  callId: string,
  residency: Residency | null,
): Promise<boolean> {
  return (
    (await callIdRecorded(env.DB, tenantId, callId)) ||
    (await transcriptExists(archiveBucket(env, residency), tenantId, callId))
  );
}
