/**
 * The timers a component schedules with, injectable so its tests drive time themselves: vitest's
 * fake timers replace the globals for every test file sharing the isolate (isolate: false), so a
 * test that faked them would stall another file's real timers running alongside.
 */
export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Timers that move only when told (tests): advance() runs what falls due, in order. */
export class ManualTimers implements Timers {
  private at = 0;
  private seq = 0;
  private readonly due = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.at;
  }

  setTimeout(fn: () => void, ms: number): number {
    this.due.set(++this.seq, { at: this.at + Math.max(0, ms), fn });
    return this.seq;
  }

  clearTimeout(handle: unknown): void {
    this.due.delete(handle as number);
  }

  /** Timers scheduled and not yet run or cleared. */
  get pending(): number {
    return this.due.size;
  }

  /** Scheduled in all, run or not. */
  get scheduled(): number {
    return this.seq;
  }

  advance(ms: number): void {
    const until = this.at + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.due) if (entry[1].at <= until && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.due.delete(next[0]);
      this.at = next[1].at;
      next[1].fn();
    }
    this.at = until;
  }
}
