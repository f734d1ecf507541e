import { describe, expect, it, vi } from "vitest";
import { ManualTimers } from "./timers";
import { WaitDeadline } from "./wait-deadline";

function deadline(ms: number) {
  const timers = new ManualTimers();
  const expired = vi.fn();
  return { timers, expired, d: new WaitDeadline(ms, expired, timers) };
}

describe("WaitDeadline", () => {
  it("expires once a wait has lasted its bound, and not before", () => {
    const { timers, expired, d } = deadline(1000);
    d.begin();
    timers.advance(999);
    expect(expired).not.toHaveBeenCalled();
    timers.advance(1);
    expect(expired).toHaveBeenCalledTimes(1);
    timers.advance(5000);
    expect(expired).toHaveBeenCalledTimes(1);
  });

  it("counts each wait from its own begin: many short waits never expire, on one timer a bound", () => {
    const { timers, expired, d } = deadline(1000);
    for (let i = 0; i < 100; i++) {
      d.begin();
      timers.advance(90);
      d.end();
      timers.advance(10);
    }
    expect(expired).not.toHaveBeenCalled();
    // 10 s of waits: a timer a second, not one a wait.
    expect(timers.scheduled).toBeLessThanOrEqual(11);
  });

  it("time between waits does not count; a wait begun late still gets its whole bound", () => {
    const { timers, expired, d } = deadline(1000);
    d.begin();
    timers.advance(100);
    d.end();
    timers.advance(5000); // the consumer holds the chunk: no wait under way
    d.begin();
    timers.advance(999);
    expect(expired).not.toHaveBeenCalled();
    timers.advance(1);
    expect(expired).toHaveBeenCalledTimes(1);
  });

  it("a wait that began just before the timer fires gets the rest of its bound", () => {
    const { timers, expired, d } = deadline(1000);
    d.begin();
    timers.advance(100);
    d.end();
    timers.advance(800);
    d.begin(); // at 900 ms; the timer armed at 0 fires at 1000
    timers.advance(999);
    expect(expired).not.toHaveBeenCalled();
    timers.advance(1);
    expect(expired).toHaveBeenCalledTimes(1);
  });

  it("stop() ends it: no expiry, no timer left", () => {
    const { timers, expired, d } = deadline(1000);
    d.begin();
    d.stop();
    d.begin();
    timers.advance(5000);
    expect(expired).not.toHaveBeenCalled();
    expect(timers.pending).toBe(0);
  });
});
