import type { Context } from "hono";
import type { AppEnv } from "../env";
import type { Config } from "../../config/config";
import { callRule, requestRateDetail, requestRule, type RequestRule } from "../../security/tenant-limits";
import { callShardIndex, shardName, shardsPerRegion, tenantShard } from "../../security/tenant-shards";
import { callerRegion } from "./caller-region";
import { ApiError } from "../../lib/errors";

/**
 * Per-tenant resource limits (OWASP API4, API6), decided near the caller by the tenant's shard of
 * the caller's region (durable/tenant-shard.ts), within what the tenant's one TenantLimits object
 * leases it (durable/tenant-limits.ts explains why objects and not the rate-limiting binding):
 *
 * - every request of a tenant API key takes a token of the tenant's rate
 *   (TENANT_REQUESTS_PER_MINUTE, TENANT_BURST), leased to the isolate with the key's verdict
 *   (requireScope, TenantShard.lease, security/admission.ts), so an over-limit request is refused
 *   before its handler does anything;
 * - creating a call takes one of the tenant's TENANT_MAX_ACTIVE_CALLS slots from a shard of the
 *   caller's region (picked by the call id), which the call's own object gives back (an outbox
 *   job, retried until it succeeds) when the call ends.
 *
 * Over a limit: 429 `rate_limited` with Retry-After in whole seconds. The operator token is not
 * limited (it manages keys, it does not make calls); /healthz and /readyz are not authenticated.
 */

/** When a call slot frees up is not known; this is how long a client is asked to wait. */
export const CALL_SLOT_RETRY_AFTER_SECONDS = 5;

export function rateLimited(detail: string, retryAfterSeconds: number): ApiError {
  return new ApiError(429, "rate_limited", detail, { headers: { "Retry-After": String(retryAfterSeconds) } });
}

/** The 429 of a tenant over its request rate. */
export function requestRateLimited(rule: RequestRule, retryAfterSeconds: number): ApiError {
  return rateLimited(requestRateDetail(rule, retryAfterSeconds), retryAfterSeconds);
}

/**
 * Takes a slot for a call about to be created, from the shard `slotShardOf` names, or throws 429.
 * `fresh` says this request took it (false: the call id already held one), so only then does a
 * failed creation give it back.
 */
export async function acquireCallSlot(
  env: Env,
  cfg: Config,
  shard: string,
  callId: string,
): Promise<{ fresh: boolean }> {
  const rule = callRule(cfg);
  const verdict = await tenantShard(env, shard).acquireCall(shard, callId, rule);
  if (!verdict.ok) {
    throw rateLimited(
      `This tenant already has ${verdict.active} active calls, its limit is ` +
        `${rule.max}; end a call or retry after ${CALL_SLOT_RETRY_AFTER_SECONDS} s.`,
      CALL_SLOT_RETRY_AFTER_SECONDS,
    );
  }
  return { fresh: verdict.fresh };
}

/**
 * The shard that holds a new call's slot: in the caller's region, picked by the call id among the
 * region's shards, so a retried create reaches the same one (from the same region).
 */
export function slotShardOf(c: Context<AppEnv>, tenantId: string, callId: string): string {
  const shards = shardsPerRegion(requestRule(c.var.config));
  return shardName(tenantId, callerRegion(c), callShardIndex(callId, shards));
}

/** Gives a call's slot back to its shard. Idempotent; a slot that is never given back expires (callRule). */
export async function releaseCallSlot(env: Env, cfg: Config, shard: string, callId: string): Promise<void> {
  await tenantShard(env, shard).releaseCall(shard, callId, callRule(cfg));
}
