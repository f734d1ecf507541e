import type { CallSession } from "../durable/call-session";
import type { RpcFailure } from "../durable/call-types";
import { ApiError, errors } from "../errors";
import { transcriptExists } from "../storage/cold-store";
import { callExists } from "../storage/warm-store";
import { callObjectName } from "../storage/layout";
import type { LocationHint } from "../storage/location-hint";

/**
 * The RPC surface of a call object, typed as declared. (The generic stub type re-derives every
 * return type through Rpc's serialization mapping, which gives up on `Record<string, unknown>`
 * context; the values themselves are plain structured-clonable data.)
 */
export type CallRpc = Pick<CallSession, "create" | "get" | "patchContext" | "turn" | "end" | "audio" | "erase">;

/**
 * The call's Durable Object, named by tenant and call id so tenants never share an object. A
 * location hint (given when the call is created) places a new object near the caller.
 */
export function callStub(env: Env, tenantId: string, callId: string, locationHint?: LocationHint): CallRpc {
  const id = env.CALL.idFromName(callObjectName(tenantId, callId));
  return env.CALL.get(id, locationHint ? { locationHint } : undefined) as unknown as CallRpc;
}

/** Turns an RPC failure back into the ApiError the object raised. */
export function unwrap<R extends { ok: unknown } | RpcFailure>(result: R): Extract<R, { ok: unknown }>["ok"] {
  if ("error" in result) {
    const e = result.error;
    throw new ApiError(e.status as ApiError["status"], e.code, e.detail, e.headers ? { headers: e.headers } : {});
  }
  return (result as Extract<R, { ok: unknown }>).ok;
}

/**
 * A call's object empties once the call is archived, so "no such call" from the object may still
 * mean an ended call that D1 or R2 holds: that is 409 call_ended, not 404.
 */
export async function throwEndedOrMissing(env: Env, tenantId: string, callId: string): Promise<never> {
  if (await archivedCallExists(env, tenantId, callId)) throw errors.callEnded(callId);
  throw errors.callNotFound(callId);
}

/** Whether D1 or R2 holds the call (an ended call whose object has emptied). */
export async function archivedCallExists(env: Env, tenantId: string, callId: string): Promise<boolean> {
  return (await callExists(env.DB, tenantId, callId)) || (await transcriptExists(env.ARCHIVE, tenantId, callId));
}
