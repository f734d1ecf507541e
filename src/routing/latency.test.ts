import { describe, expect, it } from "vitest";
import { DEFAULT_EWMA_ALPHA, Ewma, LATENCY_HALF_LIFE_MS, LatencyStats } from "./latency";

describe("Ewma", () => {
  it("is unknown before the first sample and seeded by it", () => {
    const e = new Ewma();
    expect(e.value).toBeUndefined();
    e.update(300);
    expect(e.value).toBe(300);
    expect(DEFAULT_EWMA_ALPHA).toBe(0.2);
  });

  it("moves a fifth of the way towards each new sample", () => {
    const e = new Ewma(0.2);
    e.update(100);
    e.update(600);
    expect(e.value).toBeCloseTo(200);
    e.update(200);
    expect(e.value).toBeCloseTo(200);
    expect(e.samples).toBe(3);
  });

  it("converges on a new level within about twenty samples", () => {
    const e = new Ewma();
    e.update(100);
    for (let i = 0; i < 20; i++) e.update(1000);
    expect(e.value).toBeGreaterThan(980); // 0.8^20 of the gap left: about 1%
  });

  it("refuses an alpha outside (0, 1]", () => {
    expect(() => new Ewma(0)).toThrow(RangeError);
    expect(() => new Ewma(1.5)).toThrow(RangeError);
  });
});

describe("LatencyStats", () => {
  it("tracks latency of successes and the error rate", () => {
    const s = new LatencyStats();
    s.recordSuccess(200);
    s.recordFailure();
    expect(s.snapshot()).toEqual({ latencyMs: 200, errorRate: 0.2, samples: 2 });
  });

  it("takes a timeout's duration as a latency sample", () => {
    const s = new LatencyStats();
    s.recordSuccess(100);
    s.recordFailure(1100);
    expect(s.snapshot().latencyMs).toBe(300);
  });

  it("reports nothing it does not know", () => {
    expect(new LatencyStats().snapshot()).toEqual({ samples: 0 });
  });
});

describe("ranking latency of a region that gets no calls", () => {
  it("is drawn back toward the prior with a 20 s half-life, so a once-slow region is tried again", () => {
    let now = 0;
    const stats = new LatencyStats(DEFAULT_EWMA_ALPHA, () => now);
    expect(stats.rankingLatency(400)).toBeUndefined();
    stats.recordSuccess(2400);
    expect(stats.rankingLatency(400)).toBe(2400);
    now = LATENCY_HALF_LIFE_MS;
    expect(stats.rankingLatency(400)).toBeCloseTo(1400, 6);
    now = 5 * LATENCY_HALF_LIFE_MS;
    expect(stats.rankingLatency(400)).toBeCloseTo(462.5, 6);
    // A fresh sample resets the clock; the EWMA itself is unchanged by the decay.
    stats.recordSuccess(2400);
    expect(stats.rankingLatency(400)).toBe(2400);
    expect(stats.snapshot().latencyMs).toBe(2400);
  });

  it("forgets a fast measurement the same way (an old good figure is no promise either)", () => {
    let now = 0;
    const stats = new LatencyStats(DEFAULT_EWMA_ALPHA, () => now);
    stats.recordSuccess(100);
    now = 2 * LATENCY_HALF_LIFE_MS;
    expect(stats.rankingLatency(400)).toBeCloseTo(325, 6);
  });
});
