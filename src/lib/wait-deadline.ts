import { realTimers, type Timers } from "./timers";

/**
 * A bound on how long one wait may last (the next chunk of a provider's stream, the next frame to a
 * socket), checked by one timer per bound rather than one per wait. A streamed reply or a caller's
 * audio makes dozens of waits a second; arming and clearing a timer for each was a visible share of
 * a call object's CPU under load (`npm run bench:stream -- --profile`).
 *
 * begin() marks a wait as started, end() as over; `onExpired` runs once a wait has lasted `ms`.
 * Time between waits never counts. The timer, when it fires, re-arms itself for what remains of the
 * current wait, or lapses when no wait is under way (the next begin() arms it again).
 */
export class WaitDeadline {
  private since = 0;
  private waiting = false;
  private timer: unknown;
  private stopped = false;

  constructor(
    private readonly ms: number,
    private readonly onExpired: () => void,
    private readonly timers: Timers = realTimers,
  ) {}

  begin(): void {
    if (this.stopped) return;
    this.since = this.timers.now();
    this.waiting = true;
    if (this.timer === undefined) this.arm(this.ms);
  }

  end(): void {
    this.waiting = false;
  }

  /** No more waits: the timer goes. */
  stop(): void {
    this.stopped = true;
    this.waiting = false;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(delay: number): void {
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      if (!this.waiting || this.stopped) return;
      const waited = this.timers.now() - this.since;
      if (waited >= this.ms) {
        this.waiting = false;
        this.onExpired();
      } else this.arm(this.ms - waited);
    }, delay);
  }
}
