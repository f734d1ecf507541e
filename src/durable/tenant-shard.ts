import { DurableObject } from "cloudflare:workers";
import { keyUsable } from "../security/api-keys";
import { KeyRecords } from "../security/key-records";
import { hasScope } from "../security/scopes";
import { ShardSlots } from "../security/shard-slots";
import {
  isOverloaded,
  shardLeaseSize,
  tenantLimits,
  type AuthorizedKey,
  type CallRule,
  type CallVerdict,
  type LeaseRequest,
  type LeaseVerdict,
  type RequestRule,
  type TokenGrant,
} from "../security/tenant-limits";
import { parseShardName, type ShardRef } from "../security/tenant-shards";
import { TokenPool } from "../security/token-pool";

/**
 * A tenant's admission near its callers: one or more per region (security/tenant-shards.ts),
 * created with the region's location hint. The Worker's isolates lease from the shard of the
 * caller's region (security/admission.ts): it checks the key (its record from D1, kept in memory
 * and told of every change by the tenant's limits object), and hands out tokens of the tenant's
 * rate from its own pool, which it leases from that object in blocks, in the background while it
 * has some left. Call creations take slots from its allotment the same way (shard-slots.ts).
 * So a request waits at most for this object, near its caller; the tenant's object, wherever it
 * lives, is asked a few times a second per shard, and only a dry pool or a full allotment waits.
 */

/** How long tokens leased from the tenant's bucket stay usable here. */
const POOL_TTL_MS = 10_000;
const UNAUTHORIZED = { ok: false, reason: "unauthorized" } as const;

export class TenantShard extends DurableObject<Env> {
  /** The object's clock, in ms; tests replace it (runInDurableObject) to let time pass. */
  now: () => number = () => Date.now();
  private readonly keys = new KeyRecords(
    () => this.env.DB,
    () => this.now(),
    (work) => this.ctx.waitUntil(work),
  );
  private readonly pool = new TokenPool(POOL_TTL_MS);
  private readonly slots: ShardSlots;
  /** This object's name, once a caller has proved it (isShard). */
  private ref: (ShardRef & { name: string }) | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.slots = new ShardSlots(ctx.storage);
  }

  /** Key records read from D1 by this object so far (tests and operators). */
  get keyLoads(): number {
    return this.keys.loads;
  }

  /**
   * Authenticates a tenant key and takes tokens for an isolate's requests, in one round trip: the
   * key must exist, belong to this shard's tenant, match the presented hash and not be revoked;
   * then hold the route's scope; then up to `want` tokens are taken. Nothing is spent on a
   * refused key or a missing scope.
   */
  async lease(shard: string, req: LeaseRequest): Promise<LeaseVerdict> {
    if (!this.isShard(shard) || req.tenantId !== this.ref?.tenantId) return UNAUTHORIZED;
    const record = await this.keys.record(req.keyId, req.tenantId, req.verified);
    if (!record || record.keyId !== req.keyId || record.tenantId !== req.tenantId) return UNAUTHORIZED;
    if (!keyUsable(record, req.keyHash, this.now())) return UNAUTHORIZED;
    const { keyId, tenantId, scopes, residency } = record;
    const key: AuthorizedKey = { keyId, tenantId, scopes, residency };
    if (!hasScope({ kind: "key", ...key }, req.scope)) return { ok: false, reason: "forbidden" };
    const taken = await this.tokens(req.rule, req.want);
    if (!taken.granted) return { ok: false, reason: "rate_limited", retryAfterSeconds: taken.retryAfterSeconds, key };
    return { ok: true, key, granted: taken.granted };
  }

  /** Up to `want` tokens for turns on a live stream or the Twilio bridge (their key was checked at open). */
  async admitTurn(shard: string, tenantId: string, rule: RequestRule, want: number): Promise<TokenGrant> {
    if (!this.isShard(shard) || tenantId !== this.ref?.tenantId) throw new Error("admitTurn: not this tenant's shard");
    return this.tokens(rule, want);
  }

  /** A key of this tenant changed (D1 already says so): forget its record. */
  async keyChanged(shard: string, keyId: string): Promise<void> {
    if (this.isShard(shard)) this.keys.changed(keyId);
  }

  /** Takes a slot for a call about to be created; idempotent per call id (`fresh: false` when held). */
  async acquireCall(shard: string, callId: string, rule: CallRule): Promise<CallVerdict> {
    const ref = this.shard(shard);
    return this.slots.acquire(callId, rule, this.now(), (holding, want) =>
      tenantLimits(this.env, ref.tenantId).allotSlots(ref.name, rule, holding, want),
    );
  }

  /** Gives a call's slot back (it ended, was erased, or was never created). Idempotent. */
  async releaseCall(shard: string, callId: string, rule: CallRule): Promise<boolean> {
    const ref = this.shard(shard);
    return this.slots.release(callId, rule, (holding, want) =>
      tenantLimits(this.env, ref.tenantId).allotSlots(ref.name, rule, holding, want),
    );
  }

  /** The call is still active: its slot must not be purged as stale (called by the call's object). */
  async seenCall(shard: string, callId: string): Promise<void> {
    this.shard(shard);
    this.slots.markSeen(callId, this.now());
  }

  /** The tenant's object takes back the slots this shard holds unused; returns how many. */
  async reclaimSlots(shard: string): Promise<number> {
    this.shard(shard);
    return this.slots.reclaim();
  }

  /** The call ids holding slots here, oldest first (operators and tests). */
  async activeCalls(shard: string): Promise<string[]> {
    this.shard(shard);
    return this.slots.list();
  }

  /**
   * Tokens from this shard's pool, leasing about a second of its demand from the tenant's bucket:
   * waited for when the pool is dry, in the background when it is below half of that.
   */
  private async tokens(rule: RequestRule, want: number): Promise<TokenGrant> {
    const ask = Math.max(want, this.pool.demand(this.now(), shardLeaseSize(rule), want));
    let granted = this.pool.take(want, this.now());
    // Dry: wait for a lease (the one in flight, or a new one); requests waiting together share
    // what it brings, and any left without a token ask again, until the bucket itself is empty.
    while (!granted) {
      const fetched = await this.refill(rule, ask);
      granted = this.pool.take(want, this.now());
      if (!granted && fetched && !fetched.granted) return fetched;
    }
    if (!this.pool.leasing && this.pool.available(this.now()) < ask / 2) {
      this.ctx.waitUntil(this.refill(rule, ask).catch(() => undefined));
    }
    return { granted, retryAfterSeconds: 0 };
  }

  /**
   * One lease from the tenant's bucket into the pool, and its answer; or, when one is already in
   * flight, waits for it and answers undefined (its tokens may all have gone to other requests).
   */
  private async refill(rule: RequestRule, want: number): Promise<TokenGrant | undefined> {
    if (this.pool.leasing) {
      await this.pool.leasing.catch(() => undefined);
      return undefined;
    }
    const ref = this.ref!;
    let answer: TokenGrant = { granted: 0, retryAfterSeconds: 1 };
    await this.pool.lease(async () => {
      try {
        answer = await tenantLimits(this.env, ref.tenantId).grantTokens(ref.name, rule, want);
      } catch (err) {
        // The tenant's object swamped is its tenant sending too much; anything else is an outage.
        if (!isOverloaded(err)) throw err;
      }
      if (answer.granted) this.pool.add(answer.granted, 0, this.now());
    });
    return answer;
  }

  private shard(name: string): ShardRef & { name: string } {
    if (!this.isShard(name)) throw new Error("not this shard");
    return this.ref!;
  }

  /** Whether `name` is the name this object was created for (a caller cannot pick another). */
  private isShard(name: string): boolean {
    if (this.ref !== undefined) return this.ref.name === name;
    const ref = parseShardName(name);
    if (!ref || !this.ctx.id.equals(this.env.TENANT_SHARD.idFromName(name))) return false;
    this.ref = { ...ref, name };
    return true;
  }
}
