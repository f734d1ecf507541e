import { describe, expect, it } from "vitest";
import { BACKOFF_BASE_MS, BACKOFF_CAP_MS, backoffDelayMs, outboxRetryDelayMs, retryWait, sleep } from "./backoff";
import { seededRandom } from "../routing/test-support";

describe("backoffDelayMs: exponential with full jitter", () => {
  it("spans [0, base·2^(retry-1)) and is capped", () => {
    expect([BACKOFF_BASE_MS, BACKOFF_CAP_MS]).toEqual([100, 2000]);
    const almostOne = () => 0.999999;
    expect([1, 2, 3, 4, 5, 6, 10].map((r) => backoffDelayMs(r, almostOne))).toEqual([
      99, 199, 399, 799, 1599, 1999, 1999,
    ]);
    expect(backoffDelayMs(3, () => 0)).toBe(0);
    expect(backoffDelayMs(2, () => 0.5)).toBe(100);
  });

  it("stays within bounds for many random draws and actually spreads them", () => {
    const random = seededRandom(42);
    for (const retry of [1, 2, 3, 8, 50]) {
      const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (retry - 1));
      const delays = Array.from({ length: 500 }, () => backoffDelayMs(retry, random));
      expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...delays)).toBeLessThan(ceiling);
      // Full jitter: uniform, so the spread covers most of the range (not clustered at the ceiling).
      expect(Math.max(...delays) - Math.min(...delays)).toBeGreaterThan(ceiling * 0.9);
    }
  });
});

describe("retryWait", () => {
  it("honours a Retry-After that fits in the time left", () => {
    expect(retryWait({ retry: 1, retryAfterMs: 1000, availableMs: 3000, neededMs: 500 })).toEqual({
      wait: true,
      delayMs: 1000,
      source: "retry_after",
    });
  });

  it("does not wait out a Retry-After beyond the deadline (fail over instead)", () => {
    expect(retryWait({ retry: 1, retryAfterMs: 7000, availableMs: 4000 })).toEqual({
      wait: false,
      reason: "retry_after_beyond_deadline",
    });
    // Fits on its own, but not with the provider's usual latency after it.
    expect(retryWait({ retry: 1, retryAfterMs: 3000, availableMs: 3500, neededMs: 600 })).toEqual({
      wait: false,
      reason: "retry_after_beyond_deadline",
    });
  });

  it("backs off with jitter when there is no Retry-After, unless even that does not fit", () => {
    expect(retryWait({ retry: 2, availableMs: 5000, random: () => 0.5 })).toEqual({
      wait: true,
      delayMs: 100,
      source: "backoff",
    });
    expect(retryWait({ retry: 2, availableMs: 150, neededMs: 100, random: () => 0.5 })).toEqual({
      wait: false,
      reason: "backoff_beyond_deadline",
    });
  });
});

describe("sleep", () => {
  it("rejects with the caller's reason when aborted", async () => {
    const c = new AbortController();
    const pending = sleep(60_000, c.signal);
    c.abort(new Error("hung up"));
    await expect(pending).rejects.toThrow("hung up");
    await expect(sleep(1, AbortSignal.abort(new Error("gone")))).rejects.toThrow("gone");
  });

  it("resolves after a short real wait", async () => {
    await expect(sleep(1)).resolves.toBeUndefined();
  });
});

describe("outbox retry delay", () => {
  it("grows exponentially under full jitter and is capped at 10 minutes", () => {
    expect(outboxRetryDelayMs(1, () => 0.999)).toBeLessThanOrEqual(2000);
    expect(outboxRetryDelayMs(5, () => 0.999)).toBeGreaterThan(30_000);
    expect(outboxRetryDelayMs(40, () => 0.999)).toBeLessThanOrEqual(600_000);
    expect(outboxRetryDelayMs(3, () => 0)).toBe(250);
  });
});
