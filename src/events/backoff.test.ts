import { describe, expect, it } from "vitest";
import { RETRY_CAP_SECONDS, RETRY_WINDOW_MS, retryDelaySeconds } from "./backoff";

/** Retries until the window is over, as the consumer makes them; how many, at this randomness. */
function retriesToCoverWindow(random: () => number): number {
  let waited = 0;
  let retries = 0;
  while (waited * 1000 < RETRY_WINDOW_MS) waited += retryDelaySeconds(++retries, random);
  return retries;
}

describe("the retry schedule", () => {
  it("doubles from 5 s to a one-hour ceiling, each wait between half and all of it", () => {
    const ceilings = [5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600, 3600];
    ceilings.forEach((ceiling, i) => {
      expect(retryDelaySeconds(i + 1, () => 0)).toBe(Math.ceil(ceiling / 2));
      expect(retryDelaySeconds(i + 1, () => 0.999999)).toBe(ceiling);
    });
    expect(retryDelaySeconds(1000, () => 1)).toBe(RETRY_CAP_SECONDS);
    for (let i = 0; i < 200; i++) {
      const d = retryDelaySeconds(3, Math.random);
      expect(d).toBeGreaterThanOrEqual(10);
      expect(d).toBeLessThanOrEqual(20);
    }
  });

  it("covers 24 hours in fewer retries than the queue's max_retries (100), at any jitter", () => {
    expect(retriesToCoverWindow(() => 0)).toBeLessThan(100);
    expect(retriesToCoverWindow(() => 0)).toBe(57);
    expect(retriesToCoverWindow(() => 0.999999)).toBe(33);
  });
});
