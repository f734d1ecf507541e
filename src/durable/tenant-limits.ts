import { DurableObject } from "cloudflare:workers";
import { setBounded } from "../lib/bounded-map";
import { log } from "../observability/log";
import { keyUsable, readKeyRecord, type KeyRecord } from "../security/api-keys";
import {
  KEY_TTL_MS,
  type AuthorizeRequest,
  type AuthorizeVerdict,
  type AuthorizedKey,
  type CallRule,
  type CallVerdict,
  type RequestRule,
  type RequestVerdict,
} from "../security/tenant-limits";
import { hasScope } from "../security/scopes";

/**
 * One object per tenant (named by tenant id) holding the tenant's resource limits: a token bucket
 * for its request rate and the set of its active call ids. It is also the authority for the
 * tenant's API keys on the request path: `authorize` checks a presented key (its hash against the
 * key's record, and revocation) and takes the request's token in the same round trip, so a tenant
 * request costs one RPC and no D1 query (the Worker caches only what never changes about a key,
 * src/security/key-cache.ts). It holds ids, counters and key hashes only, no personal data, so
 * every tenant's object lives in the default namespace, EU-resident or not.
 *
 * Key records are kept in memory only (D1 is their store; nothing about keys is written here):
 * loaded from D1 on a miss and kept for KEY_TTL_MS, and evicted by `keyChanged`, which every
 * revocation and rotation through the API calls, after writing D1 and before answering. So the
 * first request after a revocation is refused; a change made to D1 outside the API (by hand) takes
 * effect within KEY_TTL_MS.
 *
 * Why a Durable Object and not the Workers Rate Limiting binding (`[[ratelimits]]`): the binding is
 * cheaper, but it counts per Cloudflare location and eventually consistently, its limit and period
 * (10 or 60 s only) are fixed in wrangler.toml rather than settings, and it cannot hold a set of
 * active calls at all. One object per tenant is a single, exact counter whatever colo a request
 * lands in, takes its limits from the Worker's settings on every call (so a deployment, or a test,
 * changes them without a redeploy), and behaves the same under `wrangler dev` and vitest.
 *
 * The cost is one RPC per tenant request, the same one that authenticates it, to wherever the
 * object lives: it is created near the Worker that first asks for it, which is near the tenant's
 * first caller, so a tenant whose traffic comes from one region pays a few milliseconds; a tenant
 * spread over continents pays a cross-region round trip (tens to ~150 ms) on requests from far
 * away. A location hint cannot help (it applies only when the object is created, and a tenant has
 * one object for all its callers), and a per-isolate cache of answers is not a limit (isolates are
 * many and short-lived), so neither replaces this object. The limits are passed in with each call (not read from this
 * object's env) so the Worker's settings are the one source of truth.
 */

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * The active calls, as few billed row writes as possible: WITHOUT ROWID, the table is its primary
 * key's b-tree (a rowid table with a TEXT key writes the row and a separate key index), and no
 * index on seen_at (a tenant holds at most TENANT_MAX_ACTIVE_CALLS rows, so purging stale ones
 * scans). Each index would cost one more row write per insert, delete and seen refresh.
 * `active_calls` was the first version (rowid, with a seen_at index): migrated once, then dropped.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS active_calls_v2 (call_id TEXT PRIMARY KEY, acquired_at INTEGER NOT NULL, \
seen_at INTEGER NOT NULL) WITHOUT ROWID;
`;

/** A tenant has a handful of keys; the bound only keeps a misbehaving caller from growing memory. */
const MAX_CACHED_KEYS = 1_000;

const UNAUTHORIZED = { ok: false, reason: "unauthorized" } as const;

/** How stale a slot's seen mark may get before a request naming the call refreshes it. */
const SEEN_REFRESH_MS = 10 * 60_000;

/**
 * The calls whose seen mark this object checked lately: a bound on memory, not on calls (a tenant
 * holds at most TENANT_MAX_ACTIVE_CALLS slots; forgetting one only costs one more check).
 */
const MAX_SEEN_CHECKS = 10_000;

export class TenantLimits extends DurableObject<Env> {
  /** The object's clock, in ms; tests replace it (runInDurableObject) to let time pass. */
  now: () => number = () => Date.now();
  /** Key records read from D1 by this object so far (tests and operators: the hot path reads none). */
  keyLoads = 0;
  private bucket: Bucket | undefined;
  private readonly sql: SqlStorage;
  /** The tenant this object is named for, once a caller has proved it (isTenant). */
  private tenantId: string | undefined;
  private readonly keys = new Map<string, { record: KeyRecord; loadedAt: number }>();
  private readonly loading = new Map<string, Promise<KeyRecord | null>>();
  /** When each key was last changed (keyChanged), for KEY_TTL_MS: a Worker's D1 read of it may predate that. */
  private readonly changed = new Map<string, number>();
  /** Bumped by every keyChanged: a D1 read begun before a change must not be cached after it. */
  private epoch = 0;
  /** When this object last made sure a call's seen mark was fresh (see markSeen). */
  private readonly seenChecked = new Map<string, number>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(SCHEMA);
    this.migrateActiveCalls();
  }

  /**
   * Authenticates a tenant key and takes one token for its request, in one round trip: the key
   * must exist, belong to this object's tenant, match the presented hash (constant time) and not be
   * revoked at this object's `now`; then it must hold the route's scope; then the tenant's bucket
   * must have a token. Nothing is spent on a refused key or a missing scope.
   */
  async authorize(req: AuthorizeRequest): Promise<AuthorizeVerdict> {
    if (!this.isTenant(req.tenantId)) return UNAUTHORIZED;
    const record = await this.keyRecord(req.keyId, req.verified);
    const now = this.now();
    if (
      !record ||
      record.keyId !== req.keyId ||
      record.tenantId !== req.tenantId ||
      !keyUsable(record, req.keyHash, now)
    )
      return UNAUTHORIZED;
    const key: AuthorizedKey = {
      keyId: record.keyId,
      tenantId: record.tenantId,
      scopes: record.scopes,
      residency: record.residency,
    };
    if (!hasScope({ kind: "key", ...key }, req.scope)) return { ok: false, reason: "forbidden" };
    const verdict = this.admitRequest(req.rule, now, req.seenCallId);
    return verdict.ok
      ? { ok: true, key }
      : { ok: false, reason: "rate_limited", retryAfterSeconds: verdict.retryAfterSeconds, key };
  }

  /**
   * A key of this tenant was revoked or rotated (D1 already says so): forget its record, so the
   * next request reads the change. Routes await this before they report the change as done.
   */
  async keyChanged(keyId: string): Promise<void> {
    const now = this.now();
    this.keys.delete(keyId);
    this.loading.delete(keyId);
    this.epoch++;
    for (const [id, at] of this.changed) if (now - at >= KEY_TTL_MS) this.changed.delete(id);
    this.changed.set(keyId, now);
  }

  /**
   * Takes one token for a request, or says how long until one is available. An admitted request
   * that names a call (`seenCallId`) also marks that call's slot as seen, in the same round trip.
   */
  private admitRequest(rule: RequestRule, now: number, seenCallId?: string): RequestVerdict {
    const perMs = rule.perMinute / 60_000;
    const prev = this.bucket ?? { tokens: rule.burst, at: now };
    const tokens = Math.min(rule.burst, prev.tokens + Math.max(0, now - prev.at) * perMs);
    if (tokens < 1) {
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / perMs / 1000)) };
    }
    // The bucket lives in memory only. An object is evicted only after it has been idle for a
    // while, and by then the bucket would have refilled anyway, so persisting it would buy nothing
    // but one storage write (billed) per request. A flood keeps the object, and its bucket, alive.
    this.bucket = { tokens: tokens - 1, at: now };
    if (seenCallId) this.markSeen(seenCallId, now);
    return { ok: true };
  }

  /**
   * A slot's "seen" mark only has to beat the stale bound (an hour and more): it is rewritten at
   * most every SEEN_REFRESH_MS, so a turn costs no row write here, and checked against storage at
   * most every SEEN_REFRESH_MS / 2, so a turn does not run even the (writeless) UPDATE: a
   * statement on the path of every request naming a call (0.4 ms of a turn's CPU in
   * `npm run bench:profile -- turn`, which inflates every figure).
   * After a check at t the mark is at least t - SEEN_REFRESH_MS, so while requests keep naming the
   * call it is never more than 1.5 × SEEN_REFRESH_MS old. (The memory is lost with the object;
   * the next request then checks again.)
   */
  private markSeen(callId: string, now: number): void {
    const checked = this.seenChecked.get(callId);
    if (checked !== undefined && now - checked < SEEN_REFRESH_MS / 2 && now >= checked) return;
    this.sql.exec(
      "UPDATE active_calls_v2 SET seen_at = ?1 WHERE call_id = ?2 AND seen_at < ?3",
      now,
      callId,
      now - SEEN_REFRESH_MS,
    );
    setBounded(this.seenChecked, callId, now, MAX_SEEN_CHECKS);
  }

  /** Whether `tenantId` is the name this object was created for (a caller cannot pick another). */
  private isTenant(tenantId: string): boolean {
    if (this.tenantId !== undefined) return this.tenantId === tenantId;
    if (!this.ctx.id.equals(this.env.TENANT_LIMITS.idFromName(tenantId))) return false;
    this.tenantId = tenantId;
    return true;
  }

  /** The key's record: this object's own copy while fresh, else the Worker's fresh read, else D1. */
  private async keyRecord(keyId: string, verified: KeyRecord | undefined): Promise<KeyRecord | null> {
    const now = this.now();
    const held = this.keys.get(keyId);
    if (held && now - held.loadedAt < KEY_TTL_MS) return held.record;
    const changedAt = this.changed.get(keyId);
    const changedLately = changedAt !== undefined && now - changedAt < KEY_TTL_MS;
    if (verified && !changedLately) return verified;
    return this.loadKey(keyId);
  }

  /** Reads a key's record from D1, one read per key at a time; cached unless a change raced it. */
  private loadKey(keyId: string): Promise<KeyRecord | null> {
    const inFlight = this.loading.get(keyId);
    if (inFlight) return inFlight;
    const epoch = this.epoch;
    // The record is as of the read's start: the TTL counts from there.
    const startedAt = this.now();
    this.keyLoads++;
    const load = readKeyRecord(this.env.DB, keyId)
      .then((record) => {
        if (record && record.tenantId === this.tenantId && this.epoch === epoch) {
          setBounded(this.keys, keyId, { record, loadedAt: startedAt }, MAX_CACHED_KEYS);
        }
        return record;
      })
      .finally(() => {
        if (this.loading.get(keyId) === load) this.loading.delete(keyId);
      });
    this.loading.set(keyId, load);
    return load;
  }

  /**
   * Takes a slot for a call that is about to be created. Idempotent per call id: a call that holds
   * a slot keeps it (`fresh: false`), so a retried create never counts twice.
   */
  async acquireCall(callId: string, rule: CallRule): Promise<CallVerdict> {
    const now = this.now();
    this.purgeStale(now, rule.staleAfterMs);
    const held = this.sql.exec("SELECT 1 FROM active_calls_v2 WHERE call_id = ?", callId).toArray().length > 0;
    if (held) {
      this.sql.exec("UPDATE active_calls_v2 SET seen_at = ? WHERE call_id = ?", now, callId);
      return { ok: true, fresh: false, active: this.count() };
    }
    const active = this.count();
    if (active >= rule.max) return { ok: false, active };
    this.sql.exec("INSERT INTO active_calls_v2 (call_id, acquired_at, seen_at) VALUES (?, ?, ?)", callId, now, now);
    return { ok: true, fresh: true, active: active + 1 };
  }

  /** Gives a call's slot back (the call ended, was erased, or was never created). Idempotent. */
  async releaseCall(callId: string): Promise<boolean> {
    this.seenChecked.delete(callId);
    const cursor = this.sql.exec("DELETE FROM active_calls_v2 WHERE call_id = ?", callId);
    cursor.toArray();
    return cursor.rowsWritten > 0;
  }

  /** The call ids holding slots, oldest first (operators and tests). */
  async activeCalls(): Promise<string[]> {
    return this.sql
      .exec<{ call_id: string }>("SELECT call_id FROM active_calls_v2 ORDER BY acquired_at, call_id")
      .toArray()
      .map((r) => r.call_id);
  }

  private count(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM active_calls_v2").one().n;
  }

  /** Moves the rows of the first schema's table into active_calls_v2, once, and drops it (and its index). */
  private migrateActiveCalls(): void {
    const old =
      this.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'active_calls'").toArray().length > 0;
    if (!old) return;
    this.ctx.storage.transactionSync(() => {
      this.sql.exec(
        "INSERT OR IGNORE INTO active_calls_v2 (call_id, acquired_at, " +
          "seen_at) SELECT call_id, acquired_at, seen_at FROM active_calls",
      );
      this.sql.exec("DROP TABLE active_calls");
    });
  }

  private purgeStale(now: number, staleAfterMs: number): void {
    const stale = this.sql
      .exec<{ call_id: string }>("DELETE FROM active_calls_v2 WHERE seen_at < ? RETURNING call_id", now - staleAfterMs)
      .toArray()
      .map((r) => r.call_id);
    // A release that never arrived: worth a look, though the tenant is no longer held back by it.
    if (stale.length) log("call_slots_purged", { calls: stale }, "warn");
  }
}
