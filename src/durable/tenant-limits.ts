import { DurableObject } from "cloudflare:workers";
import { untilAborted } from "../lib/abortable";
import { SerialQueue } from "../lib/serial-queue";
import { CallSlots } from "../security/call-slots";
import { RequestBucket } from "../security/request-bucket";
import { ShardLedger } from "../security/shard-ledger";
import type { CallRule, RequestRule, SlotGrant, TokenGrant } from "../security/tenant-limits";
import { parseShardName, tenantShard } from "../security/tenant-shards";

/**
 * One object per tenant (named by tenant id): the tenant's exact limits, asked by its shards only.
 * Requests never come here: they are admitted by the tenant's shards (TenantShard, one or more
 * per region, placed near the callers), which lease tokens of the tenant's request rate and slots
 * of its active calls from this object in blocks, in the background while they have some left.
 * So this object's place in the world (wherever the tenant's first shard was) costs no request a
 * round trip, and its load is a few leases a second per shard, not the tenant's traffic.
 *
 * - Request rate: one token bucket (request-bucket.ts). Tokens leased to a shard are spent here,
 *   so the tenant never gets more than its rate from all shards together.
 * - Active calls: the ledger (shard-ledger.ts) allots slots to shards, never more in all than
 *   TENANT_MAX_ACTIVE_CALLS; when a shard needs one and none is left, the others are asked for
 *   the slots they hold but do not use (reclaim) before the shard is refused.
 * - Keys: a revocation or rotation is sent to every shard the tenant has (`keyChanged`), and the
 *   revoke is answered only once all have it (http/routes/admin.ts).
 *
 * Why Durable Objects and not the Workers Rate Limiting binding: the binding counts per
 * Cloudflare location, eventually consistently, with a limit and period (10 or 60 s) fixed in
 * wrangler.toml, and cannot hold a set of active calls; these objects are exact, take their limits
 * from the Worker's settings on every call, and run the same under `wrangler dev` and vitest.
 * They hold ids, counters and key hashes only, no personal data: every tenant's live in the
 * default namespace, EU-resident or not.
 */

/** How long a reclaim waits for a shard: one that does not answer keeps its slots until it does. */
const RECLAIM_TIMEOUT_MS = 2_000;

export class TenantLimits extends DurableObject<Env> {
  /** The object's clock, in ms; tests replace it (runInDurableObject) to let time pass. */
  now: () => number = () => Date.now();
  private readonly bucket = new RequestBucket();
  private readonly ledger: ShardLedger;
  /** Allotments change one at a time: a reclaim awaits shards, and two must not count the same slots. */
  private readonly allotting = new SerialQueue();
  /** Slots of calls created before shards held them, given back as those calls end. */
  private readonly legacySlots: CallSlots;
  /** The tenant this object is named for, once a caller has proved it (isTenant). */
  private tenantId: string | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.ledger = new ShardLedger(ctx.storage.sql);
    this.legacySlots = new CallSlots(ctx.storage);
  }

  /** Up to `want` tokens of the tenant's rate for a shard's pool (at least one, or none and when). */
  async grantTokens(shard: string, rule: RequestRule, want: number): Promise<TokenGrant> {
    this.ownShard(shard);
    this.ledger.register(shard);
    return this.bucket.takeUpTo(rule, this.now(), want);
  }

  /**
   * A shard's call slots: it holds `holding` now (it is the authority on that: a reclaim that
   * timed out may have freed some), and wants `want` more, never more in all than `rule.max`; when
   * too few are left, first takes back what the other shards hold unused. `want` 0: a shard giving
   * slots back. `allotted`: the tenant's total after. A shard sends one of these at a time, so
   * `holding` is never older than a grant: the ledger may count a reclaim late, never a grant.
   */
  async allotSlots(shard: string, rule: CallRule, holding: number, want: number): Promise<SlotGrant> {
    this.ownShard(shard);
    return this.allotting.run(async () => {
      this.ledger.set(shard, holding);
      if (want > 0 && rule.max - this.ledger.allotted() < want) await this.reclaim(shard);
      const granted = Math.max(0, Math.min(want, rule.max - this.ledger.allotted()));
      if (granted) this.ledger.set(shard, holding + granted);
      return { granted, allotted: this.ledger.allotted() };
    });
  }

  /**
   * A key of this tenant was revoked or rotated (D1 already says so): every shard forgets its
   * record. Resolves once all have; rejects if one could not be told (the revoke then answers 503
   * and is retried; that shard rereads D1 within KEY_TTL_MS anyway).
   */
  async keyChanged(keyId: string): Promise<void> {
    const told = await Promise.allSettled(
      this.ledger.names().map((s) => tenantShard(this.env, s).keyChanged(s, keyId)),
    );
    const failed = told.filter((r) => r.status === "rejected").length;
    if (failed) throw new Error(`${failed} of ${told.length} shards were not told of the key change`);
  }

  /** Gives back the slot of a call created before shards held slots. Idempotent. */
  async releaseCall(callId: string): Promise<boolean> {
    return this.legacySlots.release(callId);
  }

  /** The call ids holding slots, over every shard (operators and tests). */
  async activeCalls(): Promise<string[]> {
    const shards = await Promise.all(this.ledger.names().map((s) => tenantShard(this.env, s).activeCalls(s)));
    return [...this.legacySlots.list(), ...shards.flat()];
  }

  /** The tenant's shard names (operators and tests). */
  async shards(): Promise<string[]> {
    return this.ledger.names();
  }

  /** Takes back the slots other shards hold unused; a shard that does not answer in time keeps them. */
  private async reclaim(requester: string): Promise<void> {
    const holders = this.ledger.holders(requester);
    const signal = AbortSignal.timeout(RECLAIM_TIMEOUT_MS);
    await Promise.all(
      holders.map(async (name) => {
        const freed = await untilAborted(tenantShard(this.env, name).reclaimSlots(name), signal).catch(() => 0);
        if (freed > 0) this.ledger.set(name, this.ledger.slotsOf(name) - freed);
      }),
    );
  }

  /** A shard of this object's tenant (a caller cannot name another's). */
  private ownShard(shard: string): void {
    const ref = parseShardName(shard);
    if (!ref || !this.isTenant(ref.tenantId)) throw new Error("not a shard of this tenant's limits object");
  }

  /** Whether `tenantId` is the name this object was created for (a caller cannot pick another). */
  private isTenant(tenantId: string): boolean {
    if (this.tenantId !== undefined) return this.tenantId === tenantId;
    if (!this.ctx.id.equals(this.env.TENANT_LIMITS.idFromName(tenantId))) return false;
    this.tenantId = tenantId;
    return true;
  }
}
