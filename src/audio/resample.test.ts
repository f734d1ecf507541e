import { describe, expect, it } from "vitest";
import { downmixToMono, kernelMemory, resample, resampleScalar } from "./resample";
import { power, sine, snrDb, toInt16 } from "./test-signals";

const levelDb = (x: Int16Array, reference: number): number =>
  10 * Math.log10(power(x, 200, x.length - 200) / reference);

describe("resample", () => {
  it("returns the input itself when the rates are equal", () => {
    const x = Int16Array.from([1, 2, 3]);
    expect(resample(x, 16000, 16000)).toBe(x);
  });

  it("produces ceil(n · to / from) samples", () => {
    expect(resample(new Int16Array(1000), 8000, 16000).length).toBe(2000);
    expect(resample(new Int16Array(1001), 16000, 8000).length).toBe(501);
    expect(resample(new Int16Array(44100), 44100, 16000).length).toBe(16000);
    expect(resample(new Int16Array(0), 8000, 16000).length).toBe(0);
  });

  it("brings a 1 kHz sine through 8 kHz → 16 kHz → 8 kHz with negligible error", () => {
    const x = toInt16(sine(1000, 8000, 1000, 10000, 0.3));
    const up = resample(x, 8000, 16000);
    expect(snrDb(toInt16(sine(1000, 16000, 1000, 10000, 0.3)), up, 100, 15900)).toBeGreaterThan(60);
    expect(snrDb(x, resample(up, 16000, 8000), 100, 7900)).toBeGreaterThan(60);
  });

  it("removes a 6 kHz tone instead of aliasing it to 2 kHz when going 16 kHz → 8 kHz", () => {
    const reference = power(sine(6000, 16000, 1000, 20000, 0.7));
    expect(levelDb(resample(toInt16(sine(6000, 16000, 1000, 20000, 0.7)), 16000, 8000), reference)).toBeLessThan(-70);
  });

  it("already blocks a 4.2 kHz tone just above the new Nyquist, and passes 3 kHz untouched", () => {
    const tone = (f: number): Int16Array => toInt16(sine(f, 16000, 1000, 20000, 0.7));
    const reference = power(tone(3000));
    expect(levelDb(resample(tone(4200), 16000, 8000), reference)).toBeLessThan(-60);
    expect(Math.abs(levelDb(resample(tone(3000), 16000, 8000), reference))).toBeLessThan(0.2);
  });

  it("stays accurate between all the usual rates, including fractional ratios", () => {
    const pairs = [
      [8000, 24000],
      [24000, 8000],
      [22050, 16000],
      [44100, 16000],
      [48000, 8000],
      [16000, 44100],
      [44100, 48000],
      [44101, 48000], // 48000/gcd phases is too many to tabulate: positions are quantised instead
    ] as const;
    for (const [from, to] of pairs) {
      const out = resample(toInt16(sine(440, from, 500, 12000, 0.2)), from, to);
      const expected = toInt16(sine(440, to, 500, 12000, 0.2));
      expect(snrDb(expected, out, 200, expected.length - 200), `${from} → ${to}`).toBeGreaterThan(60);
    }
  });

  it("keeps a constant level constant (unity gain at DC for every filter phase)", () => {
    const out = resample(new Int16Array(3000).fill(1000), 22050, 16000);
    expect(out.subarray(100, out.length - 100).every((v) => v === 1000)).toBe(true);
  });

  it("clips filter overshoot on a full-scale square wave instead of wrapping around", () => {
    const square = Int16Array.from({ length: 4000 }, (_, i) => (Math.floor(i / 40) % 2 ? -32768 : 32767));
    const out = resample(square, 16000, 8000);
    // Samples in the middle of each plateau keep the plateau's sign (a wrapped overshoot would flip it).
    for (let plateau = 1; plateau < 98; plateau++) {
      const v = out[plateau * 20 + 10]!;
      expect(Math.sign(v), `plateau ${plateau}`).toBe(plateau % 2 ? -1 : 1);
    }
    expect(Math.max(...out)).toBe(32767);
  });

  it("gives what the scalar loop gives, within one step, for every rate pair, length and chunk boundary", () => {
    let seed = 11;
    const noise = (n: number) =>
      Int16Array.from({ length: n }, () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % 60000) - 30000);
    const pairs = [
      [24000, 16000],
      [22050, 16000],
      [16000, 8000],
      [8000, 16000],
      [16000, 44100],
      [44101, 48000],
    ] as const;
    // 0 and 1 sample, shorter than the filter, and long enough for several kernel chunks (8192 outputs each).
    for (const n of [0, 1, 50, 3001, 40_000]) {
      const x = noise(n);
      for (const [from, to] of pairs) {
        const simd = resample(x, from, to);
        const scalar = resampleScalar(x, from, to);
        expect(simd.length, `${from} → ${to}, ${n} samples`).toBe(scalar.length);
        let worst = 0;
        for (let i = 0; i < simd.length; i++) worst = Math.max(worst, Math.abs(simd[i]! - scalar[i]!));
        expect(worst, `${from} → ${to}, ${n} samples`).toBeLessThanOrEqual(1);
      }
    }
  });

  it("leaves none of the caller's audio in the kernel's memory", () => {
    // A constant comes out as itself (unity gain at DC): 13,334 copies of 12345 in the output and
    // 20,000 of 12345.0 in the input window, unless the call wiped them.
    resample(new Int16Array(20_000).fill(12345), 24000, 16000);
    const memory = kernelMemory();
    expect(memory).toBeDefined();
    const count = (view: ArrayLike<number>, value: number) =>
      Array.prototype.filter.call(view, (v: number) => v === value).length;
    expect(count(new Int16Array(memory!), 12345)).toBeLessThan(10);
    expect(count(new Float32Array(memory!), 12345)).toBeLessThan(10);
  });

  it("rejects rates that are not positive integers", () => {
    expect(() => resample(new Int16Array(4), 0, 8000)).toThrow(RangeError);
    expect(() => resample(new Int16Array(4), 8000, 16000.5)).toThrow(RangeError);
  });
});

describe("downmixToMono", () => {
  it("averages the channels of each frame", () => {
    expect(Array.from(downmixToMono(Int16Array.from([100, 300, -32768, -32768, 32767, -32768]), 2))).toEqual([
      200, -32768, 0,
    ]);
    expect(Array.from(downmixToMono(Int16Array.from([3, 6, 9, 30, 60, 90]), 3))).toEqual([6, 60]);
  });

  it("returns mono input unchanged and drops a trailing partial frame", () => {
    const mono = Int16Array.from([1, 2]);
    expect(downmixToMono(mono, 1)).toBe(mono);
    expect(Array.from(downmixToMono(Int16Array.from([2, 4, 9]), 2))).toEqual([3]);
  });

  it("rejects a channel count below 1", () => {
    expect(() => downmixToMono(new Int16Array(4), 0)).toThrow(RangeError);
  });
});
