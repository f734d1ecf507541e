/**
 * A streamed turn (our live stream's or the Twilio bridge's) takes a token of its tenant's request
 * rate, the bucket every HTTP request of the tenant takes from, so a tenant's turns count the same
 * however they arrive. Tokens are leased a few at a time into the isolate's pool
 * (security/admission.ts) from the tenant's shard in the call's region, so most turns make no
 * round trip at all, and the others one to an object near the call's.
 * Refused: a 429-like `rate_limited` problem with a retry hint for the stream to send (the socket
 * stays open, the turn is dropped, nothing is stored).
 */
import { errorMessage } from "../../lib/errors";
import { log } from "../../observability/log";
import { demand, leaseAhead, leaseInFlight, takeToken, tokensLeased } from "../../security/admission";
import {
  isOverloaded,
  leaseSize,
  requestRateDetail,
  requestRule,
  type RequestRule,
} from "../../security/tenant-limits";
import { isolateShardIndex, shardName, shardsPerRegion, tenantShard } from "../../security/tenant-shards";
import { slotRegion } from "../lifecycle/release-job";
import type { CallRuntime } from "../call-runtime";
import type { StreamProblem } from "./stream-limits";

export async function admitTurn(call: CallRuntime): Promise<StreamProblem | undefined> {
  const session = call.store.getSession();
  // No call (it ended, or was erased): the turn itself says so.
  if (!session) return undefined;
  const rule = requestRule(call.config);
  const { tenantId } = session;
  const lease = demand(tenantId, Date.now(), leaseSize(rule));
  // The lease prepareTurn started while the caller spoke, if it is still on its way.
  await leaseInFlight(tenantId)?.catch(() => {});
  // A token this object's isolate already leased; else a lease, the turn taking the first token.
  if (takeToken(tenantId, Date.now())) return undefined;
  try {
    const shard = turnShard(call, tenantId, rule);
    const taken = await tenantShard(call.env, shard).admitTurn(shard, tenantId, rule, lease);
    if (!taken.granted) return overRate(rule, taken.retryAfterSeconds);
    tokensLeased(tenantId, taken.granted, 1, Date.now());
    return undefined;
  } catch (err) {
    if (isOverloaded(err)) return overRate(rule, 1);
    // The tenant's shard could not be reached: the caller's live call goes on (its key was checked
    // when the stream opened); an outage of that object must not silence every call of the tenant.
    log("turn_admission_failed", { callId: session.callId, message: errorMessage(err) }, "warn");
    return undefined;
  }
}

/**
 * The caller started speaking, so a turn is likely within seconds: a token is leased into the
 * isolate's pool now, in the background, so that the turn, when it ends, takes it without a round
 * trip to the shard (tens of ms on the reply's path; more when many calls' first turns end at
 * once). One token: a tenant whose callers speak and take no turn is under-served by at most that,
 * until it lapses.
 */
export function prepareTurn(call: CallRuntime): void {
  const session = call.store.getSession();
  if (!session) return;
  const rule = requestRule(call.config);
  const { tenantId } = session;
  const leasing = leaseAhead(tenantId, Date.now(), async () => {
    const shard = turnShard(call, tenantId, rule);
    return (await tenantShard(call.env, shard).admitTurn(shard, tenantId, rule, 1)).granted;
  });
  // Its failure is the turn's to meet (admitTurn leases again, and decides).
  if (leasing)
    call.waitUntil(leasing.catch((err: unknown) => log("turn_lease_ahead_failed", { message: errorMessage(err) })));
}

function turnShard(call: CallRuntime, tenantId: string, rule: RequestRule): string {
  return shardName(tenantId, slotRegion(call), isolateShardIndex(shardsPerRegion(rule)));
}

function overRate(rule: RequestRule, retryAfterSeconds: number): StreamProblem {
  return {
    status: 429,
    code: "rate_limited",
    detail: `${requestRateDetail(rule, retryAfterSeconds)} The turn was dropped; the stream stays open.`,
    retryAfterMs: retryAfterSeconds * 1000,
  };
}
