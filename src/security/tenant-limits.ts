import type { Residency } from "../call/residency";
import type { Config } from "../config/config";
import type { KeyRecord } from "./api-keys";
import type { Scope } from "./scopes";

/**
 * What the Worker, a tenant's shards (TenantShard, src/durable/tenant-shard.ts) and its limits
 * object (TenantLimits, src/durable/tenant-limits.ts) say to each other: the rules the Worker's
 * settings impose, the requests and the verdicts.
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

/** What a request's principal is made of: the key's immutable facts, without its hash. */
export interface AuthorizedKey {
  keyId: string;
  tenantId: string;
  scopes: Scope[];
  residency: Residency | null;
}

/**
 * A lease (TenantShard.lease): the key checked, and up to `want` tokens of the tenant's rate for
 * the isolate's pool (security/admission.ts), the waiting request's one included.
 */
export interface LeaseRequest {
  /** The tenant the Worker believes the key belongs to; it must name this object and the key's record. */
  tenantId: string;
  keyId: string;
  /** Hex SHA-256 of the presented key (the key itself never leaves the Worker). */
  keyHash: string;
  /** The scope the route needs (or any one of a list): a key without it is refused before it spends a token. */
  scope: Scope | readonly Scope[];
  rule: RequestRule;
  want: number;
  /**
   * The key's record the Worker has just read from D1 (its cache missed), so this object need not
   * read it again. Used for this request only and never cached there, and ignored when the shard
   * holds a fresher record or was told of a change to the key within KEY_TTL_MS; the isolate dates
   * the verdict from that read (admission.ts), so a shard not yet told of a change cannot extend it.
   */
  verified?: KeyRecord | undefined;
}

export type LeaseVerdict =
  | { ok: true; key: AuthorizedKey; granted: number }
  | { ok: false; reason: "unauthorized" }
  | { ok: false; reason: "forbidden" }
  | { ok: false; reason: "rate_limited"; retryAfterSeconds: number; key: AuthorizedKey };

/**
 * The most tokens an isolate leases at once: half a second of the tenant's whole rate, 1 to 50
 * (an isolate asks for less when it sees fewer requests: admission.ts demand()). A lease of one
 * is one round trip a request; more lets the isolate admit requests alone.
 */
export function leaseSize(rule: RequestRule): number {
  return Math.min(50, Math.max(1, Math.round(rule.perMinute / 120)));
}

/** Tokens of the tenant's bucket for a shard's pool: at least one, or none and when to retry. */
export interface TokenGrant {
  granted: number;
  retryAfterSeconds: number;
}

/** Call slots allotted to a shard, and the tenant's total allotted after. */
export interface SlotGrant {
  granted: number;
  allotted: number;
}

/**
 * The most tokens a shard leases from the tenant's bucket at once: half a second of the tenant's
 * rate, 1 to 500 (a shard asks for about a second of its own demand: token-pool.ts).
 */
export function shardLeaseSize(rule: RequestRule): number {
  return Math.min(500, Math.max(1, Math.round(rule.perMinute / 120)));
}

/**
 * Slots a shard asks for when it has none free, and keeps free before it gives any back: a
 * twentieth of the tenant's limit, 1 to 25, so a region's call creations rarely wait for the
 * tenant's object, and few slots sit unused in a shard (a reclaim gets them back at the limit).
 */
export function slotStep(rule: CallRule): number {
  return Math.min(25, Math.max(1, Math.ceil(rule.max / 20)));
}

export type CallVerdict = { ok: true; fresh: boolean; active: number } | { ok: false; active: number };

/**
 * How long a key record read from D1 is trusted without being told of a change. Changes through
 * the API evict at once (keyChanged); this bounds only changes made to D1 by other means.
 */
export const KEY_TTL_MS = 30_000;

/**
 * A slot not seen for two idle timeouts and an hour is dropped: a call is ended by its idle alarm
 * one idle timeout after its last request, and its slot is released right after (or retried with
 * a backoff capped at 10 minutes), so only a release that was lost for good waits that long.
 */
export function callRule(cfg: Config): CallRule {
  return { max: cfg.TENANT_MAX_ACTIVE_CALLS, staleAfterMs: (2 * cfg.CALL_IDLE_TIMEOUT_SECONDS + 3600) * 1000 };
}

/** The limits object of a tenant. */
export function tenantLimits(env: Env, tenantId: string): ReturnType<Env["TENANT_LIMITS"]["get"]> {
  return env.TENANT_LIMITS.get(env.TENANT_LIMITS.idFromName(tenantId));
}

/** The request rate of every tenant, from the Worker's settings (TENANT_REQUESTS_PER_MINUTE, TENANT_BURST). */
export function requestRule(cfg: Config): RequestRule {
  return { perMinute: cfg.TENANT_REQUESTS_PER_MINUTE, burst: cfg.TENANT_BURST ?? cfg.TENANT_REQUESTS_PER_MINUTE };
}

/** What a tenant over its request rate is told, HTTP or stream alike. */
export function requestRateDetail(rule: RequestRule, retryAfterSeconds: number): string {
  return (
    `This tenant is over its limit of ${rule.perMinute} requests per minute (at ` +
    `most ${rule.burst} at once); retry after ${retryAfterSeconds} s.`
  );
}

/** A tenant's limits object refusing work because it is swamped is that tenant sending too much. */
export function isOverloaded(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { overloaded?: unknown }).overloaded === true;
}
