/**
 * A streamed turn (our live stream's or the Twilio bridge's) takes a token of its tenant's request
 * rate, the bucket every HTTP request of the tenant takes from, so a tenant's turns count the same
 * however they arrive. Refused: a 429-like `rate_limited` problem with a retry hint for the stream
 * to send (the socket stays open, the turn is dropped, nothing is stored).
 */
import { errorMessage } from "../../lib/errors";
import { log } from "../../observability/log";
import {
  isOverloaded,
  requestRateDetail,
  requestRule,
  tenantLimits,
  type RequestRule,
} from "../../security/tenant-limits";
import type { CallRuntime } from "../call-runtime";
import type { StreamProblem } from "./stream-limits";

export async function admitTurn(call: CallRuntime): Promise<StreamProblem | undefined> {
  const session = call.store.getSession();
  // No call (it ended, or was erased): the turn itself says so.
  if (!session) return undefined;
  const rule = requestRule(call.config);
  try {
    const verdict = await tenantLimits(call.env, session.tenantId).admitTurn(session.tenantId, session.callId, rule);
    return verdict.ok ? undefined : overRate(rule, verdict.retryAfterSeconds);
  } catch (err) {
    if (isOverloaded(err)) return overRate(rule, 1);
    // The limits object could not be reached: the caller's live call goes on (its key was checked
    // when the stream opened); an outage of that object must not silence every call of the tenant.
    log("turn_admission_failed", { callId: session.callId, message: errorMessage(err) }, "warn");
    return undefined;
  }
}

function overRate(rule: RequestRule, retryAfterSeconds: number): StreamProblem {
  return {
    status: 429,
    code: "rate_limited",
    detail: `${requestRateDetail(rule, retryAfterSeconds)} The turn was dropped; the stream stays open.`,
    retryAfterMs: retryAfterSeconds * 1000,
  };
}
