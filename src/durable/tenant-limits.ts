import { DurableObject } from "cloudflare:workers";
import { log } from "../observability/log";

/**
 * One object per tenant (named by tenant id) holding the tenant's resource limits: a token bucket
 * for its request rate and the set of its active call ids. It holds ids and counters only, no
 * personal data, so every tenant's object lives in the default namespace, EU-resident or not.
 *
 * Why a Durable Object and not the Workers Rate Limiting binding (`[[ratelimits]]`): the binding is
 * cheaper, but it counts per Cloudflare location and eventually consistently, its limit and period
 * (10 or 60 s only) are fixed in wrangler.toml rather than settings, and it cannot hold a set of
 * active calls at all. One object per tenant is a single, exact counter whatever colo a request
 * lands in, takes its limits from the Worker's settings on every call (so a deployment, or a test,
 * changes them without a redeploy), and behaves the same under `wrangler dev` and vitest.
 *
 * The cost is one RPC per authenticated request to wherever the object lives: it is created near
 * the Worker that first asks for it, which is near the tenant's first caller, so a tenant whose
 * traffic comes from one region pays a few milliseconds; a tenant spread over continents pays a
 * cross-region round trip (tens to ~150 ms) on requests from far away. A location hint cannot
 * help (it applies only when the object is created, and a tenant has one object for all its
 * callers), and a per-isolate cache of answers is not a limit (isolates are many and short-lived),
 * so neither replaces this object. The limits are passed in with each call (not read from this
 * object's env) so the Worker's settings are the one source of truth.
 */

export interface RequestRule {
  /** Sustained rate: tokens added per minute, continuously. */
  perMinute: number;
  /** Bucket size: requests that may be sent at once after a quiet spell. */
  burst: number;
}

export interface CallRule {
  /** Active calls the tenant may hold at once. */
  max: number;
  /**
   * A slot not seen for this long is dropped when counting (self-healing): a call that could still
   * be active is seen at least every idle timeout, by its create and by every request naming it.
   */
  staleAfterMs: number;
}

export type RequestVerdict = { ok: true } | { ok: false; retryAfterSeconds: number };
export type CallVerdict = { ok: true; fresh: boolean; active: number } | { ok: false; active: number };

interface Bucket {
  tokens: number;
  at: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS active_calls (call_id TEXT PRIMARY KEY, acquired_at INTEGER NOT NULL, seen_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS active_calls_seen ON active_calls (seen_at);
`;

/** How stale a slot's seen mark may get before a request naming the call refreshes it. */
const SEEN_REFRESH_MS = 10 * 60_000;

export class TenantLimits extends DurableObject<Env> {
  /** The object's clock, in ms; tests replace it (runInDurableObject) to let time pass. */
  now: () => number = () => Date.now();
  private bucket: Bucket | undefined;
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(SCHEMA);
  }

  /**
   * Takes one token for a request, or says how long until one is available. An admitted request
   * that names a call (`seenCallId`) also marks that call's slot as seen, in the same round trip.
   */
  async admitRequest(rule: RequestRule, seenCallId?: string): Promise<RequestVerdict> {
    const now = this.now();
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
    // A slot's "seen" mark only has to beat the stale bound (hours): rewrite it at most every
    // SEEN_REFRESH_MS, so a turn does not cost a row write here.
    if (seenCallId) this.sql.exec("UPDATE active_calls SET seen_at = ?1 WHERE call_id = ?2 AND seen_at < ?3", now, seenCallId, now - SEEN_REFRESH_MS);
    return { ok: true };
  }

  /**
   * Takes a slot for a call that is about to be created. Idempotent per call id: a call that holds
   * a slot keeps it (`fresh: false`), so a retried create never counts twice.
   */
  async acquireCall(callId: string, rule: CallRule): Promise<CallVerdict> {
    const now = this.now();
    this.purgeStale(now, rule.staleAfterMs);
    const held = this.sql.exec("SELECT 1 FROM active_calls WHERE call_id = ?", callId).toArray().length > 0;
    if (held) {
      this.sql.exec("UPDATE active_calls SET seen_at = ? WHERE call_id = ?", now, callId);
      return { ok: true, fresh: false, active: this.count() };
    }
    const active = this.count();
    if (active >= rule.max) return { ok: false, active };
    this.sql.exec("INSERT INTO active_calls (call_id, acquired_at, seen_at) VALUES (?, ?, ?)", callId, now, now);
    return { ok: true, fresh: true, active: active + 1 };
  }

  /** Gives a call's slot back (the call ended, was erased, or was never created). Idempotent. */
  async releaseCall(callId: string): Promise<boolean> {
    const cursor = this.sql.exec("DELETE FROM active_calls WHERE call_id = ?", callId);
    cursor.toArray();
    return cursor.rowsWritten > 0;
  }

  /** The call ids holding slots, oldest first (operators and tests). */
  async activeCalls(): Promise<string[]> {
    return this.sql
      .exec<{ call_id: string }>("SELECT call_id FROM active_calls ORDER BY acquired_at, call_id")
      .toArray()
      .map((r) => r.call_id);
  }

  private count(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM active_calls").one().n;
  }

  private purgeStale(now: number, staleAfterMs: number): void {
    const stale = this.sql
      .exec<{ call_id: string }>("DELETE FROM active_calls WHERE seen_at < ? RETURNING call_id", now - staleAfterMs)
      .toArray()
      .map((r) => r.call_id);
    // A release that never arrived: worth a look, though the tenant is no longer held back by it.
    if (stale.length) log("call_slots_purged", { calls: stale }, "warn");
  }
}

/** The limits object of a tenant. */
export function tenantLimits(env: Env, tenantId: string): DurableObjectStub<TenantLimits> {
  return env.TENANT_LIMITS.get(env.TENANT_LIMITS.idFromName(tenantId));
}
