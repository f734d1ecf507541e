import { describe, expect, it } from "vitest";
import { pcm16ToSamples, samplesToPcm16 } from "./pcm";

describe("16-bit PCM bytes", () => {
  it("reads little- and big-endian samples", () => {
    const b = Uint8Array.from([0x01, 0x80, 0xff, 0x7f]);
    expect(Array.from(pcm16ToSamples(b, true))).toEqual([-32767, 32767]);
    expect(Array.from(pcm16ToSamples(b, false))).toEqual([0x0180, -129]);
  });

  it("reads from a view at an odd byte offset, where an Int16Array could not be laid", () => {
    const backing = Uint8Array.from([0xaa, 0x34, 0x12, 0xcd, 0xab]);
    expect(Array.from(pcm16ToSamples(backing.subarray(1), true))).toEqual([0x1234, -0x5433]);
  });

  it("ignores a dangling odd byte", () => {
    expect(pcm16ToSamples(Uint8Array.from([1, 0, 2]), true).length).toBe(1);
  });

  it("writes bytes that read back to the same samples in either byte order", () => {
    const s = Int16Array.from([0, 1, -1, 32767, -32768, 12345]);
    expect(pcm16ToSamples(samplesToPcm16(s, true), true)).toEqual(s);
    expect(pcm16ToSamples(samplesToPcm16(s, false), false)).toEqual(s);
    expect(Array.from(samplesToPcm16(Int16Array.from([0x0102]), false))).toEqual([0x01, 0x02]);
  });

  it("copies: the samples of a view at an offset, and never shares memory with the input", () => {
    const all = Int16Array.from([7, 0x0102, -2, 9]);
    expect(Array.from(samplesToPcm16(all.subarray(1, 3), true))).toEqual([0x02, 0x01, 0xfe, 0xff]);
    const bytes = Uint8Array.from([1, 0, 2, 0]);
    const samples = pcm16ToSamples(bytes, true);
    bytes[0] = 9;
    expect(Array.from(samples)).toEqual([1, 2]);
  });
});
