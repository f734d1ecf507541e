import { setBounded } from "../lib/bounded-map";
import type { AuthorizedKey } from "./tenant-limits";
import { TokenPool } from "./token-pool";

/**
 * What an isolate decides alone about a tenant's requests, so that most of them make no round
 * trip at all: the leases go to the tenant's shard in the caller's region (TenantShard,
 * security/tenant-shards.ts), which decides keys and leases tokens from the tenant's TenantLimits:
 *
 * - a key's verdict: the shard said the key is valid (not revoked, this tenant's) at `at`, the
 *   moment the lease that said so was sent, or the isolate's D1 read of the key if the shard took
 *   that read's word. It is used for VERDICT_TTL_MS: a key revoked, every shard told and the
 *   revoke answered, is refused in every isolate within that bound.
 * - a tenant's pool of tokens (TokenPool), leased from the shard a few at a time (leaseSize):
 *   each request takes one here. Leased tokens are already spent in the tenant's bucket, so a
 *   tenant never gets more than its rate; an isolate leases about a second of its own demand, and
 *   what it does not use lapses after POOL_TTL_MS.

 * A lease is sent before the verdict is half its age or the pool half empty, in the background
 * (waitUntil), so a steady stream of requests never waits for one; a request that finds no fresh
 * verdict or no token waits for a lease, as every request did before.
 *
 * Module state, not per-request state: like the key cache (key-cache.ts), it holds what the
 * tenant's shard said, shared by the isolate's requests of that tenant, and is reached only by a
 * request whose key's hash matched first.
 */

/** How long an isolate serves a key's verdict without asking its tenant's shard again: the revocation bound. */
export const VERDICT_TTL_MS = 1000;
/** How long leased tokens stay usable in an isolate. */
export const POOL_TTL_MS = 10_000;
const MAX_ENTRIES = 10_000;

interface Verdict {
  at: number;
  key: AuthorizedKey;
}

const verdicts = new Map<string, Verdict>();
const pools = new Map<string, TokenPool>();
/** When this isolate last dropped a key's verdict: a lease sent before then must not bring it back. */
const forgotten = new Map<string, number>();

function poolOf(tenantId: string): TokenPool {
  let pool = pools.get(tenantId);
  if (!pool) {
    pool = new TokenPool(POOL_TTL_MS);
    setBounded(pools, tenantId, pool, MAX_ENTRIES);
  }
  return pool;
}

/**
 * Counts a request of the tenant in this isolate and says how many tokens a lease should ask for:
 * about a second of this isolate's own demand, at least 1 and at most `max` (leaseSize).
 */
export function demand(tenantId: string, now: number, max: number): number {
  return poolOf(tenantId).demand(now, max);
}

/** Admits a request alone: the key's verdict is fresh and the tenant's pool has a token (taken). */
export function admitLocally(keyId: string, tenantId: string, now: number): AuthorizedKey | undefined {
  const verdict = verdicts.get(keyId);
  if (!verdict || now - verdict.at >= VERDICT_TTL_MS || verdict.key.tenantId !== tenantId) return undefined;
  if (!takeToken(tenantId, now)) return undefined;
  return verdict.key;
}

/** A token of the tenant's pool for a request whose key needs no verdict (a turn on a stream opened with it). */
export function takeToken(tenantId: string, now: number): boolean {
  return (pools.get(tenantId)?.take(1, now) ?? 0) === 1;
}

/**
 * Leases tokens into the tenant's pool ahead of a request that is likely to come (a caller who
 * started speaking), unless the pool holds one or a lease is already in flight; `run` asks the
 * shard and returns what it granted. The request then takes a token locally (takeToken), after
 * awaiting leaseInFlight. Unused, the tokens lapse with the pool's others.
 */
export function leaseAhead(tenantId: string, now: number, run: () => Promise<number>): Promise<void> | undefined {
  const pool = poolOf(tenantId);
  if (pool.leasing || pool.available(now) >= 1) return undefined;
  return pool.lease(async () => pool.add(await run(), 0, Date.now()));
}

/** The tenant's lease in flight, if any (leaseAhead's): a request about to lease waits for it instead. */
export function leaseInFlight(tenantId: string): Promise<void> | undefined {
  return pools.get(tenantId)?.leasing;
}

/** Tokens leased without a key (takeToken's), `spent` of them by the turn that waited. */
export function tokensLeased(tenantId: string, granted: number, spent: number, now: number): void {
  poolOf(tenantId).add(granted, spent, now);
}

/**
 * A lease granted `granted` tokens for `key`, valid as of `at` (when it was sent, or when the key
 * was read from D1 if the shard relied on that read); `spent` go to the request that waited for
 * it (0 for a lease sent in the background).
 */
export function leased(key: AuthorizedKey, at: number, granted: number, spent: number, now: number): void {
  const dropped = forgotten.get(key.keyId);
  if (dropped === undefined || at > dropped) setBounded(verdicts, key.keyId, { at, key }, MAX_ENTRIES);
  poolOf(key.tenantId).add(granted, spent, now);
}

/** Whether a background lease is due: the verdict past half its life or the pool below half a lease, none in flight. */
export function leaseDue(keyId: string, tenantId: string, now: number, lease: number): boolean {
  const pool = pools.get(tenantId);
  if (pool?.leasing) return false;
  const verdict = verdicts.get(keyId);
  const old = !verdict || now - verdict.at >= VERDICT_TTL_MS / 2;
  return old || !pool || pool.available(now) < lease / 2;
}

/** Runs `lease` as the tenant's one lease in flight from this isolate. */
export function leasing(tenantId: string, lease: () => Promise<void>): Promise<void> {
  return poolOf(tenantId).lease(lease);
}

/**
 * The key was refused, revoked or rotated here: its verdict is gone at once, and a lease already
 * in flight (sent before this) cannot bring it back.
 */
export function forgetVerdict(keyId: string, now = Date.now()): void {
  verdicts.delete(keyId);
  setBounded(forgotten, keyId, now, MAX_ENTRIES);
}

/**
 * Forgets every verdict and pool of this isolate, as if more than VERDICT_TTL_MS and POOL_TTL_MS
 * had passed: tests that move a limits object's clock, or that watch what a lease carries.
 */
export function resetAdmissionForTests(): void {
  verdicts.clear();
  pools.clear();
  forgotten.clear();
}
