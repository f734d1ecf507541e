import type { Residency } from "../call/residency";
import type { Config } from "../config/config";
import type { KeyRecord } from "./api-keys";
import type { Scope } from "./scopes";

/**
 * What the Worker and a tenant's limits object (TenantLimits, src/durable/tenant-limits.ts) say to
 * each other: the rules the Worker's settings impose, the requests and the verdicts.
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
 * A lease (TenantLimits.lease): the key checked, and up to `want` tokens of the tenant's rate for
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
  /** Calls that requests admitted in the isolate named since its last lease: their slots are seen. */
  seenCallIds?: readonly string[] | undefined;
  /**
   * The key's record the Worker has just read from D1 (its cache missed), so this object need not
   * read it again. Used for this request only and never cached here, and ignored when this object
   * holds a fresher record or was told of a change to the key within KEY_TTL_MS.
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

export type CallVerdict = { ok: true; fresh: boolean; active: number } | { ok: false; active: number };

/**
 * How long a key record read from D1 is trusted without being told of a change. Changes through
 * the API evict at once (keyChanged); this bounds only changes made to D1 by other means.
 */
export const KEY_TTL_MS = 30_000;

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
