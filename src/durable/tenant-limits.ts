import { DurableObject } from "cloudflare:workers";
import { keyUsable } from "../security/api-keys";
import { CallSlots } from "../security/call-slots";
import { KeyRecords } from "../security/key-records";
import { RequestBucket } from "../security/request-bucket";
import { hasScope } from "../security/scopes";
import type {
  AuthorizeRequest,
  AuthorizeVerdict,
  AuthorizedKey,
  CallRule,
  CallVerdict,
  LeaseRequest,
  LeaseVerdict,
  RequestRule,
} from "../security/tenant-limits";

/**
 * One object per tenant (named by tenant id) holding the tenant's resource limits: a token bucket
 * for its request rate and the set of its active call ids. It is also the authority for the
 * tenant's API keys on the request path: `authorize` checks a presented key (its hash against the
 * key's record, and revocation) and takes the request's token in the same round trip, so a tenant
 * request costs one RPC and no D1 query (the Worker caches only what never changes about a key,
 * src/security/key-cache.ts). It holds ids, counters and key hashes only, no personal data, so
 * every tenant's object lives in the default namespace, EU-resident or not.
 *
 * This class holds the object's entry points; the limits themselves are in src/security/: the key
 * records (key-records.ts), the request bucket (request-bucket.ts) and the call slots
 * (call-slots.ts).
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
 * many and short-lived), so neither replaces this object. The limits are passed in with each call
 * (not read from this object's env) so the Worker's settings are the one source of truth.
 */

const UNAUTHORIZED = { ok: false, reason: "unauthorized" } as const;

export class TenantLimits extends DurableObject<Env> {
  /** The object's clock, in ms; tests replace it (runInDurableObject) to let time pass. */
  now: () => number = () => Date.now();
  private readonly keys = new KeyRecords(
    () => this.env.DB,
    () => this.now(),
  );
  private readonly bucket = new RequestBucket();
  private readonly slots: CallSlots;
  /** The tenant this object is named for, once a caller has proved it (isTenant). */
  private tenantId: string | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.slots = new CallSlots(ctx.storage);
  }

  /** Key records read from D1 by this object so far (tests and operators: the hot path reads none). */
  get keyLoads(): number {
    return this.keys.loads;
  }

  /**
   * Authenticates a tenant key and takes one token for its request, in one round trip: the key
   * must exist, belong to this object's tenant, match the presented hash (constant time) and not be
   * revoked at this object's `now`; then it must hold the route's scope; then the tenant's bucket
   * must have a token. Nothing is spent on a refused key or a missing scope. An admitted request
   * that names a call (`seenCallId`) also marks that call's slot as seen, in the same round trip.
   */
  async authorize(req: AuthorizeRequest): Promise<AuthorizeVerdict> {
    const { seenCallId, ...rest } = req;
    const verdict = await this.lease({ ...rest, want: 1, seenCallIds: seenCallId ? [seenCallId] : [] });
    return verdict.ok ? { ok: true, key: verdict.key } : verdict;
  }

  /**
   * authorize() for an isolate that admits requests alone between leases (security/admission.ts):
   * the same checks, then up to `want` tokens at once (at least one, or rate_limited), and the
   * slots of the calls its admitted requests named marked as seen.
   */
  async lease(req: LeaseRequest): Promise<LeaseVerdict> {
    if (!this.isTenant(req.tenantId)) return UNAUTHORIZED;
    const record = await this.keys.record(req.keyId, req.tenantId, req.verified);
    const now = this.now();
    if (!record || record.keyId !== req.keyId || record.tenantId !== req.tenantId) return UNAUTHORIZED;
    if (!keyUsable(record, req.keyHash, now)) return UNAUTHORIZED;
    const { keyId, tenantId, scopes, residency } = record;
    const key: AuthorizedKey = { keyId, tenantId, scopes, residency };
    if (!hasScope({ kind: "key", ...key }, req.scope)) return { ok: false, reason: "forbidden" };
    const taken = this.bucket.takeUpTo(req.rule, now, req.want);
    if (!taken.granted) return { ok: false, reason: "rate_limited", retryAfterSeconds: taken.retryAfterSeconds, key };
    for (const callId of req.seenCallIds ?? []) this.slots.markSeen(callId, now);
    return { ok: true, key, granted: taken.granted };
  }

  /**
   * Takes up to `want` tokens of the tenant's request rate for turns that come in over a live
   * stream or the Twilio bridge rather than as HTTP requests (the first for the turn that waits,
   * the rest for the object's pool: security/admission.ts), and marks the named calls' slots as
   * seen, as requests naming them would: every turn counts against the same bucket however it arrives.
   */
  async admitTurn(
    tenantId: string,
    rule: RequestRule,
    want: number,
    seenCallIds: readonly string[],
  ): Promise<{ granted: number; retryAfterSeconds: number }> {
    if (!this.isTenant(tenantId)) throw new Error("admitTurn: this is not that tenant's limits object");
    const now = this.now();
    const taken = this.bucket.takeUpTo(rule, now, want);
    if (taken.granted) for (const callId of seenCallIds) this.slots.markSeen(callId, now);
    return taken;
  }

  /**
   * A key of this tenant was revoked or rotated (D1 already says so): forget its record, so the
   * next request reads the change. Routes await this before they report the change as done.
   */
  async keyChanged(keyId: string): Promise<void> {
    this.keys.changed(keyId);
  }

  /**
   * Takes a slot for a call that is about to be created. Idempotent per call id: a call that holds
   * a slot keeps it (`fresh: false`), so a retried create never counts twice.
   */
  async acquireCall(callId: string, rule: CallRule): Promise<CallVerdict> {
    return this.slots.acquire(callId, rule, this.now());
  }

  /** Gives a call's slot back (the call ended, was erased, or was never created). Idempotent. */
  async releaseCall(callId: string): Promise<boolean> {
    return this.slots.release(callId);
  }

  /** The call ids holding slots, oldest first (operators and tests). */
  async activeCalls(): Promise<string[]> {
    return this.slots.list();
  }

  /** Whether `tenantId` is the name this object was created for (a caller cannot pick another). */
  private isTenant(tenantId: string): boolean {
    if (this.tenantId !== undefined) return this.tenantId === tenantId;
    if (!this.ctx.id.equals(this.env.TENANT_LIMITS.idFromName(tenantId))) return false;
    this.tenantId = tenantId;
    return true;
  }
}
