import { setBounded } from "../lib/bounded-map";
import type { AuthorizedKey } from "./tenant-limits";

/**
 * What an isolate decides alone about a tenant's requests, so that most of them make no round
 * trip to the tenant's limits object (TenantLimits), wherever in the world that object lives:
 *
 * - a key's verdict: the object said the key is valid (not revoked, this tenant's) at `at`, the
 *   moment the lease that said so was sent. It is used for VERDICT_TTL_MS: a key revoked, its
 *   object told and the revoke answered, is refused in every isolate within that bound.
 * - a tenant's pool of tokens, leased from the object's bucket a few at a time (leaseSize): each
 *   request takes one here. Leased tokens are already spent in the bucket, so a tenant never gets
 *   more than its rate; an isolate leases about a second of its own demand (demand()), and what
 *   it does not use lapses after POOL_TTL_MS: all a tenant can be under-served by.
 * - the calls its admitted requests named, sent with the next lease (their slots' `seen` marks).
 *
 * A lease is sent before the verdict is half its age or the pool half empty, in the background
 * (waitUntil), so a steady stream of requests never waits for one; a request that finds no fresh
 * verdict or no token waits for a lease, as every request did before.
 *
 * Module state, not per-request state: like the key cache (key-cache.ts), it holds what the
 * tenant's object said, shared by the isolate's requests of that tenant, and is reached only by a
 * request whose key's hash matched first.
 */

/** How long an isolate serves a key's verdict without asking its tenant's object again: the revocation bound. */
export const VERDICT_TTL_MS = 1000;
/** How long leased tokens stay usable in an isolate. */
export const POOL_TTL_MS = 10_000;
const MAX_ENTRIES = 10_000;
/** Call ids an isolate holds for its next lease; a call named more often is marked again later. */
const MAX_SEEN = 64;

interface Verdict {
  at: number;
  key: AuthorizedKey;
}
interface Pool {
  tokens: number;
  until: number;
  /** This isolate's requests of the tenant in the current second and the one before (how much to lease). */
  second: number;
  thisSecond: number;
  lastSecond: number;
  seen: Set<string>;
  /** The lease in flight for this tenant from this isolate, if any (one at a time). */
  leasing: Promise<void> | undefined;
}

const verdicts = new Map<string, Verdict>();
const pools = new Map<string, Pool>();

function poolOf(tenantId: string): Pool {
  let pool = pools.get(tenantId);
  if (!pool) {
    pool = { tokens: 0, until: 0, second: 0, thisSecond: 0, lastSecond: 0, seen: new Set(), leasing: undefined };
    setBounded(pools, tenantId, pool, MAX_ENTRIES);
  }
  return pool;
}

/**
 * Counts a request of the tenant in this isolate and says how many tokens a lease should ask for:
 * about a second of this isolate's own demand, at least 1 and at most `max` (leaseSize). An
 * isolate that sees a request now and then leases one token at a time, so tokens it would not use
 * are never taken from the tenant's bucket; a busy one leases up to `max`.
 */
export function demand(tenantId: string, now: number, max: number): number {
  const pool = poolOf(tenantId);
  const second = Math.floor(now / 1000);
  if (second !== pool.second) {
    pool.lastSecond = second === pool.second + 1 ? pool.thisSecond : 0;
    pool.thisSecond = 0;
    pool.second = second;
  }
  pool.thisSecond++;
  return Math.max(1, Math.min(max, pool.thisSecond + pool.lastSecond));
}

/** Admits a request alone: the key's verdict is fresh and the tenant's pool has a token (taken). */
export function admitLocally(keyId: string, tenantId: string, now: number): AuthorizedKey | undefined {
  const verdict = verdicts.get(keyId);
  if (!verdict || now - verdict.at >= VERDICT_TTL_MS || verdict.key.tenantId !== tenantId) return undefined;
  const pool = pools.get(tenantId);
  if (!pool || pool.until <= now || pool.tokens < 1) return undefined;
  pool.tokens--;
  return verdict.key;
}

/** A token of the tenant's pool for a request whose key needs no verdict (a turn on a stream opened with it). */
export function takeToken(tenantId: string, now: number): boolean {
  const pool = pools.get(tenantId);
  if (!pool || pool.until <= now || pool.tokens < 1) return false;
  pool.tokens--;
  return true;
}

/** Tokens leased without a key (takeToken's), `spent` of them by the turn that waited. */
export function tokensLeased(tenantId: string, granted: number, spent: number, now: number): void {
  const pool = poolOf(tenantId);
  pool.tokens = (pool.until > now ? pool.tokens : 0) + granted - spent;
  pool.until = now + POOL_TTL_MS;
}

/** A call an admitted request named: its slot is marked seen by the next lease. */
export function noteSeen(tenantId: string, callId: string): void {
  const seen = poolOf(tenantId).seen;
  if (seen.size < MAX_SEEN) seen.add(callId);
}

/** The calls to send with a lease (taken: a lease that fails loses them; a later request names them again). */
export function takeSeen(tenantId: string): string[] {
  const pool = poolOf(tenantId);
  const seen = [...pool.seen];
  pool.seen.clear();
  return seen;
}

/**
 * A lease sent at `sentAt` granted `granted` tokens for `key`; `spent` of them go to the request
 * that waited for it (0 for a lease sent in the background).
 */
export function leased(key: AuthorizedKey, sentAt: number, granted: number, spent: number, now: number): void {
  setBounded(verdicts, key.keyId, { at: sentAt, key }, MAX_ENTRIES);
  const pool = poolOf(key.tenantId);
  const left = pool.until > now ? pool.tokens : 0;
  pool.tokens = left + granted - spent;
  pool.until = now + POOL_TTL_MS;
}

/** Whether a background lease is due: the verdict past half its life or the pool below half a lease, none in flight. */
export function leaseDue(keyId: string, tenantId: string, now: number, lease: number): boolean {
  const pool = pools.get(tenantId);
  if (pool?.leasing) return false;
  const verdict = verdicts.get(keyId);
  const old = !verdict || now - verdict.at >= VERDICT_TTL_MS / 2;
  const low = !pool || pool.until <= now || pool.tokens < lease / 2;
  return old || low;
}

/** Runs `lease` as the tenant's one lease in flight from this isolate. */
export function leasing(tenantId: string, lease: () => Promise<void>): Promise<void> {
  const pool = poolOf(tenantId);
  const running = lease().finally(() => {
    if (pool.leasing === running) pool.leasing = undefined;
  });
  pool.leasing = running;
  return running;
}

/** The key was refused, revoked or rotated here: its verdict is gone at once. */
export function forgetVerdict(keyId: string): void {
  verdicts.delete(keyId);
}

/**
 * Forgets every verdict and pool of this isolate, as if more than VERDICT_TTL_MS and POOL_TTL_MS
 * had passed: tests that move a limits object's clock, or that watch what a lease carries.
 */
export function resetAdmissionForTests(): void {
  verdicts.clear();
  pools.clear();
}
