import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { WaitDeadline } from "./wait-deadline";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("WaitDeadline", () => {
  it("expires once a wait has lasted its bound, and not before", () => {
    const expired = vi.fn();
    const d = new WaitDeadline(1000, expired);
    d.begin();
    vi.advanceTimersByTime(999);
    expect(expired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(expired).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(5000);
    expect(expired).toHaveBeenCalledTimes(1);
  });

  it("counts each wait from its own begin: many short waits never expire, on one timer", () => {
    const expired = vi.fn();
    const d = new WaitDeadline(1000, expired);
    const armed = vi.spyOn(globalThis, "setTimeout");
    for (let i = 0; i < 100; i++) {
      d.begin();
      vi.advanceTimersByTime(90);
      d.end();
      vi.advanceTimersByTime(10);
    }
    expect(expired).not.toHaveBeenCalled();
    // 10 s of waits: about one timer a second, not one a wait.
    expect(armed.mock.calls.length).toBeLessThanOrEqual(12);
  });

  it("time between waits does not count; a wait begun late still gets its whole bound", () => {
    const expired = vi.fn();
    const d = new WaitDeadline(1000, expired);
    d.begin();
    vi.advanceTimersByTime(100);
    d.end();
    vi.advanceTimersByTime(5000); // the consumer holds the chunk: no wait under way
    d.begin();
    vi.advanceTimersByTime(999);
    expect(expired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(expired).toHaveBeenCalledTimes(1);
  });

  it("a wait that began just before the timer fires gets the rest of its bound", () => {
    const expired = vi.fn();
    const d = new WaitDeadline(1000, expired);
    d.begin();
    vi.advanceTimersByTime(100);
    d.end();
    vi.advanceTimersByTime(800);
    d.begin(); // at 900 ms; the timer armed at 0 fires at 1000
    vi.advanceTimersByTime(100);
    expect(expired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(899);
    expect(expired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(expired).toHaveBeenCalledTimes(1);
  });

  it("stop() ends it: no expiry, no timer left", () => {
    const expired = vi.fn();
    const d = new WaitDeadline(1000, expired);
    d.begin();
    d.stop();
    d.begin();
    vi.advanceTimersByTime(5000);
    expect(expired).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });
});
