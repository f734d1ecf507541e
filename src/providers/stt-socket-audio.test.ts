import { describe, expect, it } from "vitest";
import { resample } from "../audio/resample";
import { ChunkResampler, Framer } from "./stt-socket-audio";

/** Speech-like test signal: a few tones with an envelope, so chunk edges would show. */
const signal = (n: number, rate: number) =>
  Int16Array.from({ length: n }, (_, i) =>
    Math.round(6000 * Math.sin((2 * Math.PI * 440 * i) / rate) + 3000 * Math.sin((2 * Math.PI * 1270 * i) / rate)),
  );

function chunked(input: Int16Array, from: number, to: number, sizes: number[]): Int16Array {
  const r = new ChunkResampler(from, to);
  const parts: Int16Array[] = [];
  let at = 0;
  for (let i = 0; at < input.length; i++) {
    const size = sizes[i % sizes.length]!;
    parts.push(r.push(input.subarray(at, at + size)));
    at += size;
  }
  parts.push(r.flush());
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

describe("ChunkResampler", () => {
  it.each([
    [8000, 16000, [160]],
    [48000, 16000, [960, 7, 2000]],
    [44100, 16000, [441, 1000, 33]],
    [22050, 16000, [512]],
  ])("%i -> %i Hz in chunks equals one whole-signal resample, sample for sample", (from, to, sizes) => {
    const input = signal(from / 2, from); // half a second
    expect(chunked(input, from, to, sizes)).toEqual(resample(input, from, to));
  });

  it("passes audio at the socket's rate through untouched", () => {
    const input = signal(320, 16000);
    const r = new ChunkResampler(16000, 16000);
    expect(r.push(input)).toBe(input);
    expect(r.flush()).toHaveLength(0);
  });
});

describe("Framer", () => {
  it("passes every chunk as it is without bounds", () => {
    const f = new Framer();
    expect(f.push(new Int16Array(3))).toHaveLength(1);
    expect(f.flush()).toEqual([]);
  });

  it("keeps every frame within the bounds, pads only the last one, and loses no sample", () => {
    const f = new Framer(800, 16000);
    const sizes: number[] = [];
    let total = 0;
    for (const n of [160, 160, 500, 17000, 33, 16500, 10]) {
      total += n;
      for (const frame of f.push(new Int16Array(n).fill(1))) sizes.push(frame.length);
    }
    const last = f.flush();
    for (const size of sizes) {
      expect(size).toBeGreaterThanOrEqual(800);
      expect(size).toBeLessThanOrEqual(16000);
    }
    const sent = sizes.reduce((a, b) => a + b, 0);
    expect(last).toHaveLength(1);
    expect(last[0]!.length).toBeGreaterThanOrEqual(800);
    expect(sent + last[0]!.filter((s) => s === 1).length).toBe(total);
  });
});
