import { describe, expect, it } from "vitest";
import { MAX_AUDIO_FRAME_BYTES } from "./protocol";
import { AudioError } from "../audio/errors";
import { muLawDecode } from "../audio/g711";
import { samplesToPcm16 } from "../audio/pcm";
import { resample } from "../audio/resample";
import { chunkFrames, decodeFrame, encodeForClient } from "./frames";
import { concat, power, sine, snrDb, toInt16 } from "../audio/test-signals";

function audioError(fn: () => unknown): AudioError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AudioError) return err;
    throw err;
  }
  throw new Error("no error thrown");
}

describe("decodeFrame", () => {
  it("reads little-endian pcm16, also from a view at an odd byte offset", () => {
    const samples = Int16Array.from([0, 1, -1, 32767, -32768, 256, -12345]);
    const bytes = samplesToPcm16(samples, true);
    expect(Array.from(bytes.subarray(0, 4))).toEqual([0, 0, 1, 0]);
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    expect(Array.from(decodeFrame(shifted.subarray(1), "pcm16", 16000))).toEqual(Array.from(samples));
  });

  it("decodes mu-law bytes one sample per byte", () => {
    const bytes = Uint8Array.from({ length: 160 }, (_, i) => (i * 37) & 0xff);
    expect(Array.from(decodeFrame(bytes, "mulaw", 8000))).toEqual(Array.from(muLawDecode(bytes)));
  });

  it("takes empty frames", () => {
    expect(decodeFrame(new Uint8Array(0), "pcm16", 8000).length).toBe(0);
  });

  it("refuses a pcm16 frame with half a sample, naming the byte count", () => {
    const err = audioError(() => decodeFrame(new Uint8Array(321), "pcm16", 8000));
    expect(err.code).toBe("invalid_audio");
    expect(err.message).toContain("321");
    // One byte is a whole mu-law sample.
    expect(decodeFrame(new Uint8Array(321), "mulaw", 8000).length).toBe(321);
  });

  it("refuses frames over MAX_AUDIO_FRAME_BYTES", () => {
    expect(decodeFrame(new Uint8Array(MAX_AUDIO_FRAME_BYTES), "pcm16", 16000).length).toBe(MAX_AUDIO_FRAME_BYTES / 2);
    const err = audioError(() => decodeFrame(new Uint8Array(MAX_AUDIO_FRAME_BYTES + 1), "mulaw", 8000));
    expect(err.code).toBe("payload_too_large");
    expect(err.message).toContain("160 bytes at 8000 Hz mulaw");
  });
});

describe("encodeForClient", () => {
  // Speech-band test signal: two tones, well inside the 8 kHz telephone band.
  const speechBand = (rate: number): Float64Array => {
    const high = sine(1800, rate, 500, 3000);
    return sine(440, rate, 500, 6000).map((v, i) => v + high[i]!);
  };

  it("passes pcm16 at the same rate through unchanged", () => {
    const samples = toInt16(speechBand(16000));
    const bytes = encodeForClient(samples, 16000, "pcm16", 16000);
    expect(bytes).toEqual(samplesToPcm16(samples, true));
    expect(Array.from(decodeFrame(bytes, "pcm16", 16000))).toEqual(Array.from(samples));
  });

  it("round-trips pcm16 16 kHz → mulaw 8 kHz → pcm16 16 kHz with telephone quality", () => {
    const original = toInt16(speechBand(16000));
    const mulaw = encodeForClient(original, 16000, "mulaw", 8000);
    expect(mulaw.length).toBe(original.length / 2);

    // At 8 kHz: what an ideal resampler gives, within mu-law's ~38 dB quantisation SNR.
    const at8k = decodeFrame(mulaw, "mulaw", 8000);
    expect(snrDb(resample(original, 16000, 8000), at8k, 100, at8k.length - 100)).toBeGreaterThan(33);

    const back = decodeFrame(encodeForClient(at8k, 8000, "pcm16", 16000), "pcm16", 16000);
    expect(back.length).toBe(original.length);
    // Away from the edges (where the filters see silence), the same signal at the same level.
    expect(snrDb(original, back, 200, original.length - 200)).toBeGreaterThan(30);
    expect(power(back, 200, back.length - 200) / power(original, 200, original.length - 200)).toBeCloseTo(1, 1);
  });

  it("removes what 8 kHz cannot carry: a 6 kHz tone does not fold back into the speech band", () => {
    const high = toInt16(sine(6000, 16000, 200, 10000));
    const at8k = decodeFrame(encodeForClient(high, 16000, "pcm16", 8000), "pcm16", 8000);
    expect(10 * Math.log10(power(at8k, 100, at8k.length - 100) / power(high))).toBeLessThan(-50);
  });
});

describe("chunkFrames", () => {
  it("cuts 20 ms frames by format and rate: 160 B (mulaw 8k), 640 B (pcm16 16k), 960 B (pcm16 24k)", () => {
    expect(chunkFrames(new Uint8Array(8000), "mulaw", 8000).map((f) => f.length)).toEqual(new Array(50).fill(160));
    expect(chunkFrames(new Uint8Array(32000), "pcm16", 16000).map((f) => f.length)).toEqual(new Array(50).fill(640));
    expect(chunkFrames(new Uint8Array(48000), "pcm16", 24000).map((f) => f.length)).toEqual(new Array(50).fill(960));
  });

  it("returns views that add up to the input, the last frame shorter, never splitting a sample", () => {
    const bytes = encodeForClient(toInt16(concat(sine(300, 8000, 103, 5000))), 8000, "pcm16", 8000);
    const frames = chunkFrames(bytes, "pcm16", 8000, 7);
    expect(frames.slice(0, -1).every((f) => f.length === 112)).toBe(true);
    expect(frames.every((f) => f.length % 2 === 0 && f.buffer === bytes.buffer)).toBe(true);
    const joined = new Uint8Array(bytes.length);
    let at = 0;
    for (const f of frames) {
      joined.set(f, at);
      at += f.length;
    }
    expect(joined).toEqual(bytes);
    expect(frames.at(-1)!.length).toBe(bytes.length % 112);
    expect(chunkFrames(new Uint8Array(0), "mulaw", 8000)).toEqual([]);
    expect(() => chunkFrames(bytes, "pcm16", 8000, 0)).toThrow(RangeError);
  });
});
