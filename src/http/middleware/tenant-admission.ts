import type { Context } from "hono";
import type { AppEnv } from "../env";
import { errorMessage } from "../../lib/errors";
import { log } from "../../observability/log";
import {
  admitLocally,
  demand,
  forgetVerdict,
  leased,
  leaseDue,
  leasing,
  noteSeen,
  takeSeen,
} from "../../security/admission";
import type { KeyRecord } from "../../security/api-keys";
import { forgetKey, type KeyIdentity } from "../../security/key-cache";
import { hasScope, type Principal, type Scope } from "../../security/scopes";
import { isOverloaded, leaseSize, requestRule, tenantLimits, type LeaseVerdict } from "../../security/tenant-limits";
import { requestRateLimited, seenCallIdOf } from "./rate-limit";

/** What admitting a tenant request needs: the key, its hash already compared with the identity's. */
export interface Presented {
  keyId: string;
  keyHash: string;
  known: KeyIdentity;
  /** The key's record just read from D1 (the isolate's cache missed). */
  verified: KeyRecord | undefined;
  scope: Scope | readonly Scope[];
}

export type Refusal = { refused: "unauthorized" } | { refused: "forbidden" };

/**
 * Admits a tenant's request: alone when this isolate holds a fresh verdict for the key and a
 * token of the tenant's (security/admission.ts), leasing more in the background when they run
 * low; otherwise after a lease from the tenant's limits object, which checks the key, its scope
 * and the tenant's rate. Returns the principal, or why the key is refused; throws the 429.
 */
export async function admitTenantRequest(c: Context<AppEnv>, p: Presented): Promise<Principal | Refusal> {
  const rule = requestRule(c.var.config);
  const { tenantId } = p.known;
  const seen = seenCallIdOf(c);
  const now = Date.now();
  const lease = demand(tenantId, now, leaseSize(rule));
  // A key's scopes never change, so a missing one is known here; only validity and rate need asking.
  if (hasScope(principalOf(p.known), p.scope)) {
    const local = admitLocally(p.keyId, tenantId, now);
    if (local) {
      if (seen) noteSeen(tenantId, seen);
      if (leaseDue(p.keyId, tenantId, now, lease)) {
        c.executionCtx.waitUntil(leasing(tenantId, () => backgroundLease(c.env, p, lease, rule)));
      }
      return principalOf(local);
    }
  }
  const sentAt = Date.now();
  let verdict: LeaseVerdict;
  try {
    verdict = await tenantLimits(c.env, tenantId).lease({
      tenantId,
      keyId: p.keyId,
      keyHash: p.keyHash,
      scope: p.scope,
      rule,
      want: lease,
      seenCallIds: [...takeSeen(tenantId), ...(seen ? [seen] : [])],
      verified: p.verified,
    });
  } catch (err) {
    if (!isOverloaded(err)) throw err;
    // The key's hash matched: a swamped object is its tenant sending too much.
    c.set("principal", principalOf(p.known));
    throw requestRateLimited(rule, 1);
  }
  if (verdict.ok) {
    leased(verdict.key, sentAt, verdict.granted, 1, Date.now());
    return principalOf(verdict.key);
  }
  switch (verdict.reason) {
    case "unauthorized":
      // Revoked (or not this tenant's): the next request reads D1, which refuses it without an RPC.
      forgetKey(p.keyId);
      forgetVerdict(p.keyId);
      return { refused: "unauthorized" };
    case "forbidden":
      return { refused: "forbidden" };
    case "rate_limited":
      c.set("principal", principalOf(verdict.key));
      throw requestRateLimited(rule, verdict.retryAfterSeconds);
  }
}

/** A lease while requests go on being admitted alone: refreshes the key's verdict and the pool. */
async function backgroundLease(env: Env, p: Presented, want: number, rule: ReturnType<typeof requestRule>) {
  const { tenantId } = p.known;
  const sentAt = Date.now();
  try {
    const verdict = await tenantLimits(env, tenantId).lease({
      tenantId,
      keyId: p.keyId,
      keyHash: p.keyHash,
      scope: p.scope,
      rule,
      want,
      seenCallIds: takeSeen(tenantId),
    });
    if (verdict.ok) leased(verdict.key, sentAt, verdict.granted, 0, Date.now());
    else if (verdict.reason === "unauthorized") {
      forgetVerdict(p.keyId);
      forgetKey(p.keyId);
    }
    // rate_limited: no tokens; the pool runs dry and the next request waits for a lease (and its 429).
  } catch (err) {
    log("lease_failed", { tenantId, message: errorMessage(err) }, "warn");
  }
}

export function principalOf(key: Pick<KeyIdentity, "keyId" | "tenantId" | "scopes" | "residency">): Principal {
  return { kind: "key", keyId: key.keyId, tenantId: key.tenantId, scopes: key.scopes, residency: key.residency };
}
