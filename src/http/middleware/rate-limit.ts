import type { Context } from "hono";
import type { AppEnv } from "../env";
import type { Config } from "../../config/config";
import { requestRateDetail, tenantLimits, type CallRule, type RequestRule } from "../../security/tenant-limits";
import { ApiError } from "../../lib/errors";

/**
 * Per-tenant resource limits (OWASP API4, API6), enforced by the tenant's TenantLimits Durable
 * Object (src/durable/tenant-limits.ts explains why an object and not the rate-limiting binding):
 *
 * - every request of a tenant API key takes a token from the tenant's bucket
 *   (TENANT_REQUESTS_PER_MINUTE, TENANT_BURST), leased to the isolate with the key's verdict
 *   (requireScope, TenantLimits.lease, security/admission.ts), so an over-limit request is refused
 *   before its handler does anything;
 * - creating a call takes one of the tenant's TENANT_MAX_ACTIVE_CALLS slots, which the call's own
 *   object gives back (an outbox job, retried until it succeeds) when the call ends.
 *
 * Over a limit: 429 `rate_limited` with Retry-After in whole seconds. The operator token is not
 * limited (it manages keys, it does not make calls); /healthz and /readyz are not authenticated.
 */

/** When a call slot frees up is not known; this is how long a client is asked to wait. */
export const CALL_SLOT_RETRY_AFTER_SECONDS = 5;

const CALL_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * A slot not seen for two idle timeouts and an hour is dropped: a call is ended by its idle alarm
 * one idle timeout after its last request, and its slot is released right after (or retried with
 * a backoff capped at 10 minutes), so only a release that was lost for good waits that long.
 */
export function callRule(cfg: Config): CallRule {
  return { max: cfg.TENANT_MAX_ACTIVE_CALLS, staleAfterMs: (2 * cfg.CALL_IDLE_TIMEOUT_SECONDS + 3600) * 1000 };
}

export function rateLimited(detail: string, retryAfterSeconds: number): ApiError {
  return new ApiError(429, "rate_limited", detail, { headers: { "Retry-After": String(retryAfterSeconds) } });
}

/** The 429 of a tenant over its request rate. */
export function requestRateLimited(rule: RequestRule, retryAfterSeconds: number): ApiError {
  return rateLimited(requestRateDetail(rule, retryAfterSeconds), retryAfterSeconds);
}

/**
 * The call a write request names (a turn, a context change, the end), whose slot the request marks
 * as seen in the same round trip as its token; undefined for reads and for anything not a call id.
 */
export function seenCallIdOf(c: Context<AppEnv>): string | undefined {
  if (c.req.method === "GET" || c.req.method === "HEAD") return undefined;
  const callId = c.req.param("callId");
  return callId && CALL_ID.test(callId) ? callId : undefined;
}

/**
 * Takes a slot for a call about to be created, or throws 429. `fresh` says this request took it
 * (false: the call id already held one), so only then does a failed creation give it back.
 */
export async function acquireCallSlot(
  env: Env,
  cfg: Config,
  tenantId: string,
  callId: string,
): Promise<{ fresh: boolean }> {
  const rule = callRule(cfg);
  const verdict = await tenantLimits(env, tenantId).acquireCall(callId, rule);
  if (!verdict.ok) {
    throw rateLimited(
      `This tenant already has ${verdict.active} active calls, its limit is ` +
        `${rule.max}; end a call or retry after ${CALL_SLOT_RETRY_AFTER_SECONDS} s.`,
      CALL_SLOT_RETRY_AFTER_SECONDS,
    );
  }
  return { fresh: verdict.fresh };
}

/** Gives a call's slot back. Idempotent; a slot that is never given back expires (callRule). */
export async function releaseCallSlot(env: Env, tenantId: string, callId: string): Promise<void> {
  await tenantLimits(env, tenantId).releaseCall(callId);
}
