/**
 * Deadline signals for a call object's provider calls that can be cleared once the work is done.
 *
 * The routing layer times each provider attempt with AbortSignal.timeout by default, whose timer
 * stays set for the whole deadline (8 s and more) after the call has answered. A Durable Object
 * with a timer set cannot hibernate, so a call with a live stream would stay in memory, and be
 * billed, for that long after every turn. The object hands this `timeout` to the pipeline instead
 * and clears every timer when a turn (or the greeting) is done: between turns it holds none.
 */
export class ProviderDeadlines {
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();

  /** An AbortSignal that aborts after `ms` with a TimeoutError, as AbortSignal.timeout does. */
  readonly timeout = (ms: number): AbortSignal => {
    const controller = new AbortController();
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      controller.abort(new DOMException(`The operation timed out after ${ms} ms.`, "TimeoutError"));
    }, ms);
    this.timers.add(timer);
    return controller.signal;
  };

  /** Clears every timer still set (the work they bounded is over). */
  clear(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
