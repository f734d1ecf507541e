import { describe, expect, it } from "vitest";
import { goertzelFilter, goertzelPower, goertzelPowers4 } from "./goertzel";
import { sine, toInt16 } from "./test-signals";

describe("goertzelPower", () => {
  const n = 205;
  const tone = toInt16(sine(1000, 16000, 20, 8000, 0.5));

  it("measures (A·N/2)² for a sinusoid at the filter frequency", () => {
    const p = goertzelPower(tone, 0, n, 0, goertzelFilter(1000, 16000));
    // Within 2%: 205 samples hold 12.8 cycles, so the negative-frequency image leaks in slightly.
    expect(Math.sqrt(p) / (n / 2) / 8000).toBeGreaterThan(0.98);
    expect(Math.sqrt(p) / (n / 2) / 8000).toBeLessThan(1.02);
  });

  it("sees far less of a tone two bins away, and nothing of a DC offset once it is subtracted", () => {
    const on = goertzelPower(tone, 0, n, 0, goertzelFilter(1000, 16000));
    const off = goertzelPower(tone, 0, n, 0, goertzelFilter(1160, 16000));
    expect(off / on).toBeLessThan(0.01);
    const dc = new Int16Array(n).fill(5000);
    expect(goertzelPower(dc, 0, n, 5000, goertzelFilter(697, 16000))).toBe(0);
    expect(goertzelPower(dc, 0, n, 0, goertzelFilter(697, 16000))).toBeGreaterThan(0);
  });

  it("only reads the requested window", () => {
    const padded = new Int16Array(n + 100);
    padded.set(tone.subarray(0, n), 100);
    const f = goertzelFilter(1000, 16000);
    expect(goertzelPower(padded, 100, n, 0, f)).toBeCloseTo(goertzelPower(tone, 0, n, 0, f), 6);
    expect(goertzelPower(padded, 0, 100, 0, f)).toBe(0);
  });
});

describe("goertzelPowers4", () => {
  it("gives each of its four filters the figure goertzelPower gives, bit for bit", () => {
    let seed = 7;
    const noise = Int16Array.from(
      { length: 600 },
      () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % 65536) - 32768,
    );
    const filters = [697, 770, 852, 941].map((f) => goertzelFilter(f, 16000)) as [
      ReturnType<typeof goertzelFilter>,
      ReturnType<typeof goertzelFilter>,
      ReturnType<typeof goertzelFilter>,
      ReturnType<typeof goertzelFilter>,
    ];
    for (const [start, length, offset] of [
      [0, 204, 0],
      [37, 204, -12.5],
      [300, 300, 811],
    ] as const) {
      expect(goertzelPowers4(noise, start, length, offset, filters)).toEqual(
        filters.map((f) => goertzelPower(noise, start, length, offset, f)),
      );
    }
  });
});
