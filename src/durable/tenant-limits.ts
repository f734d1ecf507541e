import { DurableObject } from "cloudflare:workers";
import { keyUsable } from "../security/api-keys";
import { CallSlots } from "../security/call-slots";
import { KeyRecords } from "../security/key-records";
import { RequestBucket } from "../security/request-bucket";
import { hasScope } from "../security/scopes";
import type {
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
 * tenant's API keys: `lease` checks a presented key (its hash against the key's record, and
 * revocation) and takes tokens for the isolate's requests in the same round trip, so a tenant
 * request costs at most one RPC and no D1 query (the Worker caches only what never changes about a
 * key, src/security/key-cache.ts, and admits requests alone between leases, security/admission.ts).
 * It holds ids, counters and key hashes only, no personal data, so every tenant's object lives in
 * the default namespace, EU-resident or not.
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
 * The cost is a lease to wherever the object lives (it is created near the tenant's first
 * caller): one RPC per tenant request when an isolate sees few of the tenant's requests, a
 * cross-region round trip (tens to ~150 ms) from far away; an isolate serving many admits them
 * alone between leases (security/admission.ts, docs/architecture.md). Leased tokens are taken from
 * this one bucket first, so the limit stays exact from above. The limits are passed in with each call
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
   * Authenticates a tenant key and takes tokens for an isolate's requests (security/admission.ts),
   * in one round trip: the key must exist, belong to this object's tenant, match the presented hash
   * (constant time) and not be revoked at this object's `now`; then it must hold the route's
   * scope; then the tenant's bucket must have a token: up to `want` are taken. Nothing is spent on
   * a refused key or a missing scope. The calls the isolate's admitted requests named
   * (`seenCallIds`) have their slots marked as seen, in the same round trip.
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
