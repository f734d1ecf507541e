/**
 * Deterministic time and randomness for routing tests: a virtual clock whose timers (sleeps,
 * attempt timeouts) fire only when a test or a fake provider advances it, and a seeded PRNG.
 * Nothing here waits on the wall clock.
 */

interface Timer {
  at: number;
  seq: number;
  fire: () => void;
}

export class VirtualClock {
  private t: number;
  private seq = 0;
  private timers: Timer[] = [];

  constructor(start = 1_000_000) {
    this.t = start;
  }

  readonly now = (): number => this.t;

  /** AbortSignal.timeout on the virtual clock. */
  readonly timeout = (ms: number): AbortSignal => {
    const controller = new AbortController();
    this.timers.push({
      at: this.t + ms,
      seq: this.seq++,
      fire: () => controller.abort(new DOMException(`timed out after ${ms} ms`, "TimeoutError")),
    });
    return controller.signal;
  };

  /** A sleep that takes no real time: advances the clock by ms. */
  readonly sleep = async (ms: number, signal?: AbortSignal): Promise<void> => {
    signal?.throwIfAborted();
    this.advance(ms);
  };

  /**
   * Moves time forward by ms, firing due timers in order; when `until` aborts (say, an attempt's
   * signal), stops right there, at the moment it fired.
   */
  advance(ms: number, until?: AbortSignal): void {
    const target = this.t + ms;
    for (;;) {
      const due = this.timers.filter((x) => x.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = Math.max(this.t, due.at);
      due.fire();
      if (until?.aborted) return;
    }
    if (!Number.isFinite(target)) throw new Error("VirtualClock: waited forever (nothing would ever abort this)");
    this.t = target;
  }

  /** A provider call taking ms of virtual time, cut short (rejecting) if its signal aborts first. */
  async work(ms: number, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    this.advance(ms, signal);
    signal.throwIfAborted();
  }

  /** A provider that never answers: settles only by its signal's abort (the attempt's timeout). */
  async hang(signal: AbortSignal): Promise<never> {
    await this.work(Number.POSITIVE_INFINITY, signal);
    throw new Error("unreachable");
  }
}

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
