import type { Context } from "hono";
import type { AppEnv } from "../env";
import { errorMessage } from "../../lib/errors";
import { log } from "../../observability/log";
import { admitLocally, demand, forgetVerdict, leased, leaseDue, leasing } from "../../security/admission";
import type { KeyRecord } from "../../security/api-keys";
import { forgetKey, type KeyIdentity } from "../../security/key-cache";
import { hasScope, type Principal, type Scope } from "../../security/scopes";
import {
  isOverloaded,
  leaseSize,
  requestRule,
  type LeaseVerdict,
  type RequestRule,
} from "../../security/tenant-limits";
import { isolateShardIndex, shardName, shardsPerRegion, tenantShard } from "../../security/tenant-shards";
import { callerRegion } from "./caller-region";
import { requestRateLimited } from "./rate-limit";

/** What admitting a tenant request needs: the key, its hash already compared with the identity's. */
export interface Presented {
  keyId: string;
  keyHash: string;
  known: KeyIdentity;
  /** The key's record just read from D1 (the isolate's cache missed), and when that read began. */
  verified: KeyRecord | undefined;
  verifiedAt?: number | undefined;
  scope: Scope | readonly Scope[];
}

export type Refusal = { refused: "unauthorized" } | { refused: "forbidden" };

/**
 * Admits a tenant's request: alone when this isolate holds a fresh verdict for the key and a
 * token of the tenant's (security/admission.ts), leasing more in the background when they run
 * low; otherwise after a lease from the tenant's shard in the caller's region (TenantShard), which
 * checks the key, its scope and the tenant's rate. Returns the principal, or why the key is
 * refused; throws the 429.
 */
export async function admitTenantRequest(c: Context<AppEnv>, p: Presented): Promise<Principal | Refusal> {
  const rule = requestRule(c.var.config);
  const { tenantId } = p.known;
  const shard = shardName(tenantId, callerRegion(c), isolateShardIndex(shardsPerRegion(rule)));
  const now = Date.now();
  const want = demand(tenantId, now, leaseSize(rule));
  // A key's scopes never change, so a missing one is known here; only validity and rate need asking.
  if (hasScope(principalOf(p.known), p.scope)) {
    const local = admitLocally(p.keyId, tenantId, now);
    if (local) {
      if (leaseDue(p.keyId, tenantId, now, want)) {
        c.executionCtx.waitUntil(leasing(tenantId, () => backgroundLease(c.env, shard, p, rule, want)));
      }
      return principalOf(local);
    }
  }
  let verdict: LeaseVerdict;
  try {
    verdict = await lease(c.env, shard, p, rule, want, 1);
  } catch (err) {
    if (!isOverloaded(err)) throw err;
    // The key's hash matched: a swamped object is its tenant sending too much.
    c.set("principal", principalOf(p.known));
    throw requestRateLimited(rule, 1);
  }
  if (verdict.ok) return principalOf(verdict.key);
  switch (verdict.reason) {
    case "unauthorized":
      return { refused: "unauthorized" };
    case "forbidden":
      return { refused: "forbidden" };
    case "rate_limited":
      c.set("principal", principalOf(verdict.key));
      throw requestRateLimited(rule, verdict.retryAfterSeconds);
  }
}

/**
 * One lease from the tenant's shard, recorded in this isolate: the key's verdict and the tokens,
 * `spent` of them by the request that waited for it (0 for one in the background). The verdict
 * dates from the lease's sending, or from this isolate's D1 read when the lease carried it (a
 * shard not yet told of a change to the key may take that read's word). A key the shard refuses
 * (revoked, or not this tenant's) leaves the isolate's caches: the next request reads D1, which
 * refuses it without an RPC.
 */
async function lease(
  env: Env,
  shard: string,
  p: Presented,
  rule: RequestRule,
  want: number,
  spent: number,
): Promise<LeaseVerdict> {
  const sentAt = Date.now();
  const verified = spent ? p.verified : undefined;
  const verdict = await tenantShard(env, shard).lease(shard, {
    tenantId: p.known.tenantId,
    keyId: p.keyId,
    keyHash: p.keyHash,
    scope: p.scope,
    rule,
    want,
    ...(verified ? { verified } : {}),
  });
  const at = verified ? Math.min(sentAt, p.verifiedAt ?? sentAt) : sentAt;
  if (verdict.ok) leased(verdict.key, at, verdict.granted, spent, Date.now());
  else if (verdict.reason === "unauthorized") {
    forgetKey(p.keyId);
    forgetVerdict(p.keyId);
  }
  return verdict;
}

/** A lease while requests go on being admitted alone; rate_limited leaves the pool to run dry. */
async function backgroundLease(env: Env, shard: string, p: Presented, rule: RequestRule, want: number): Promise<void> {
  try {
    await lease(env, shard, p, rule, want, 0);
  } catch (err) {
    log("lease_failed", { tenantId: p.known.tenantId, message: errorMessage(err) }, "warn");
  }
}

export function principalOf(key: Pick<KeyIdentity, "keyId" | "tenantId" | "scopes" | "residency">): Principal {
  return { kind: "key", keyId: key.keyId, tenantId: key.tenantId, scopes: key.scopes, residency: key.residency };
}
