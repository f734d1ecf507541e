import { SerialQueue } from "../lib/serial-queue";
import { CallSlots } from "./call-slots";
import { slotStep, type CallRule, type CallVerdict, type SlotGrant } from "./tenant-limits";

/** The shard's side of the allotment: `holding` now, `want` more (0: giving back down to `holding`). */
export type Allot = (holding: number, want: number) => Promise<SlotGrant>;

/**
 * A shard's share of its tenant's active calls: the slots of the calls created through it
 * (CallSlots) within an allotment the tenant's limits object granted it (ShardLedger). A call is
 * created against the allotment alone, with no round trip, while it has room; a full shard asks
 * for `slotStep` more (the tenant's object may reclaim unused slots from other shards first), and
 * one with more than two steps free gives the surplus back as calls end.
 */
export class ShardSlots {
  private readonly calls: CallSlots;
  /** Asks to the tenant's object go one at a time, so each states the allotment as it is. */
  private readonly asking = new SerialQueue();

  constructor(private readonly storage: DurableObjectStorage) {
    this.calls = new CallSlots(storage);
  }

  /** Slots this shard may fill, persisted: a restarted shard must not forget what it was granted. */
  get allotment(): number {
    return this.storage.kv.get<number>("allotment") ?? 0;
  }

  private set allotment(slots: number) {
    this.storage.kv.put("allotment", Math.max(0, slots));
  }

  /**
   * Takes a slot for a call about to be created (idempotent per call id, as CallSlots.acquire),
   * asking the tenant's object for more when the allotment is full. `active` when refused: the
   * tenant's calls, as far as this shard knows (its total allotment, which a reclaim left equal to
   * the calls active).
   */
  async acquire(callId: string, rule: CallRule, now: number, allot: Allot): Promise<CallVerdict> {
    let verdict = this.calls.acquire(callId, { ...rule, max: this.allotment }, now);
    // A few rounds: a slot granted for one create may be filled by another before it inserts.
    for (let round = 0; !verdict.ok && round < 4; round++) {
      const asked = await this.asking.run(async () => {
        if (this.calls.count() < this.allotment) return undefined; // room came meanwhile
        const answer = await allot(this.allotment, slotStep(rule));
        this.allotment += answer.granted;
        return answer;
      });
      verdict = this.calls.acquire(callId, { ...rule, max: this.allotment }, now);
      if (!verdict.ok && asked && !asked.granted) return { ok: false, active: asked.allotted };
    }
    return verdict;
  }

  /** Gives a call's slot back, and the allotment's surplus to the tenant's object. Idempotent. */
  async release(callId: string, rule: CallRule, allot: Allot): Promise<boolean> {
    const released = this.calls.release(callId);
    const step = slotStep(rule);
    if (this.allotment - this.calls.count() > 2 * step) {
      await this.asking.run(async () => {
        const keep = this.calls.count() + step;
        if (this.allotment <= keep) return;
        // Shrunk here first: until the tenant's object hears of it, it counts more, never fewer.
        this.allotment = keep;
        await allot(keep, 0);
      });
    }
    return released;
  }

  /**
   * The tenant's object takes back the slots this shard holds unused (another shard needs them):
   * the allotment shrinks to the calls active, and the number freed is returned. Not queued
   * behind this shard's own asks, which may be waiting for this very reclaim.
   */
  reclaim(): number {
    const active = this.calls.count();
    const freed = Math.max(0, this.allotment - active);
    this.allotment = active;
    return freed;
  }

  markSeen(callId: string, now: number): void {
    this.calls.markSeen(callId, now);
  }

  list(): string[] {
    return this.calls.list();
  }
}
