import { setBounded } from "../lib/bounded-map";
import { readKeyRecord, type KeyRecord } from "./api-keys";
import { KEY_TTL_MS } from "./tenant-limits";

/** A tenant has a handful of keys; the bound only keeps a misbehaving caller from growing memory. */
const MAX_CACHED_KEYS = 1_000;
/** How long past KEY_TTL_MS a record is still served while it is read again. */
const KEY_STALE_MS = 10 * 60_000;

/**
 * A tenant's key records as one of its shards (durable/tenant-shard.ts) knows them, in memory only (D1 is their store;
 * nothing about keys is written here): loaded from D1 on a miss and kept for KEY_TTL_MS, and
 * evicted by `changed`, which every revocation and rotation through the API calls, after writing
 * D1 and before answering. So the first request after a revocation is refused; a change made to
 * D1 outside the API (by hand) takes effect within KEY_TTL_MS.
 */
export class KeyRecords {
  /** Key records read from D1 so far (tests and operators: the hot path reads none). */
  loads = 0;
  private readonly keys = new Map<string, { record: KeyRecord; loadedAt: number }>();
  private readonly loading = new Map<string, Promise<KeyRecord | null>>();
  /** When each key was last changed, for KEY_TTL_MS: a Worker's D1 read of it may predate that. */
  private readonly changedAt = new Map<string, number>();
  /** Bumped by every change: a D1 read begun before a change must not be cached after it. */
  private epoch = 0;

  constructor(
    private readonly db: () => D1Database,
    private readonly now: () => number,
    /** Runs a reload in the background (the object's waitUntil); without it, a stale record waits for D1. */
    private readonly background?: (work: Promise<unknown>) => void,
  ) {}

  /**
   * The key's record: this object's own copy while fresh, else the Worker's fresh read
   * (`verified`), else D1. Only records of `tenantId` are kept.
   */
  async record(keyId: string, tenantId: string, verified: KeyRecord | undefined): Promise<KeyRecord | null> {
    const now = this.now();
    const held = this.keys.get(keyId);
    if (held && now - held.loadedAt < KEY_TTL_MS) return held.record;
    // Past its TTL but not long past: served while D1 is read again, so a shard far from D1 makes
    // no request wait for it. Changes through the API evict at once; only a change made another
    // way (or a key change a shard missed) waits for that read.
    if (held && now - held.loadedAt < KEY_STALE_MS && this.background) {
      this.background(this.load(keyId, tenantId).catch(() => null));
      return held.record;
    }
    const changedAt = this.changedAt.get(keyId);
    const changedLately = changedAt !== undefined && now - changedAt < KEY_TTL_MS;
    if (verified && !changedLately) return verified;
    return this.load(keyId, tenantId);
  }

  /** A key was revoked or rotated (D1 already says so): forget its record, so the next request reads the change. */
  changed(keyId: string): void {
    const now = this.now();
    this.keys.delete(keyId);
    this.loading.delete(keyId);
    this.epoch++;
    for (const [id, at] of this.changedAt) if (now - at >= KEY_TTL_MS) this.changedAt.delete(id);
    this.changedAt.set(keyId, now);
  }

  /** Reads a key's record from D1, one read per key at a time; cached unless a change raced it. */
  private load(keyId: string, tenantId: string): Promise<KeyRecord | null> {
    const inFlight = this.loading.get(keyId);
    if (inFlight) return inFlight;
    const epoch = this.epoch;
    // The record is as of the read's start: the TTL counts from there.
    const startedAt = this.now();
    this.loads++;
    const load = readKeyRecord(this.db(), keyId)
      .then((record) => {
        if (record && record.tenantId === tenantId && this.epoch === epoch) {
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
}
