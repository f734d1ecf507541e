import { describe, expect, it } from "vitest";
import agentWav from "../../test/fixtures/audio/agent-16k.wav";
import balanceWav from "../../test/fixtures/audio/balance-16k.wav";
import noisyWav from "../../test/fixtures/audio/dtmf-0sh9D-16k-noise20db.wav";
import keypadWav from "../../test/fixtures/audio/dtmf-1234H-8k.wav";
import shortWav from "../../test/fixtures/audio/dtmf-30ms5-then-6-8k.wav";
import twistWav from "../../test/fixtures/audio/dtmf-twist-7r8a9r0a-8k.wav";
import silenceWav from "../../test/fixtures/audio/silence-2s-16k.wav";
import { type DtmfDigit, DtmfListener } from "./dtmf-stream";
import { pcm16ToSamples } from "./pcm";
import { resample } from "./resample";
import { concat, keyTone, silence, toInt16 } from "./test-signals";
import { parseWav } from "./wav";

function load(file: Uint8Array): { samples: Int16Array; rate: number } {
  const wav = parseWav(file);
  return { samples: pcm16ToSamples(wav.data, true), rate: wav.sampleRate };
}

interface Heard extends DtmfDigit {
  /** Stream position (ms) when push() returned the digit; Infinity if it came from flush(). */
  heardMs: number;
}

/** Streams `samples` in pieces of the given sizes (cycled), then flushes. */
function listen(samples: Int16Array, rate: number, sizes: number[]): Heard[] {
  const listener = new DtmfListener(rate);
  const heard: Heard[] = [];
  let at = 0;
  for (let k = 0; at < samples.length; k++) {
    const piece = samples.subarray(at, at + sizes[k % sizes.length]!);
    at += piece.length;
    for (const d of listener.push(piece)) heard.push({ ...d, heardMs: (at * 1000) / rate });
  }
  for (const d of listener.flush()) heard.push({ ...d, heardMs: Infinity });
  return heard;
}

const digits = (heard: DtmfDigit[]): string => heard.map((d) => d.digit).join("");

describe("DtmfListener on the 1 2 3 4 # recording (100 ms tones every 180 ms, 8 kHz)", () => {
  const { samples, rate } = load(keypadWav);
  const starts = [0, 180, 360, 540, 720];

  it.each([
    ["20 ms frames", [160]],
    ["7 ms frames", [56]],
    ["odd frames (1, 13, 77, 331 samples)", [1, 13, 77, 331]],
    ["one push", [samples.length]],
  ])("reports 1 2 3 4 # once each, at the right times, fed as %s", (_, sizes) => {
    const heard = listen(samples, rate, sizes);
    expect(digits(heard)).toBe("1234#");
    heard.forEach((d, i) => expect(Math.abs(d.atMs - starts[i]!), `start of ${d.digit}`).toBeLessThanOrEqual(3));
  });

  it("reports each key while it is still held: within 70 ms of the key going down", () => {
    const heard = listen(samples, rate, [160]);
    heard.forEach((d, i) => {
      expect(d.heardMs - starts[i]!).toBeGreaterThanOrEqual(35);
      expect(d.heardMs - starts[i]!).toBeLessThanOrEqual(70);
    });
  });

  it("reads the same keys resampled to 16 and 24 kHz", () => {
    for (const to of [16000, 24000]) {
      const heard = listen(resample(samples, rate, to), to, [(to * 20) / 1000]);
      expect(digits(heard)).toBe("1234#");
      heard.forEach((d, i) => expect(Math.abs(d.atMs - starts[i]!)).toBeLessThanOrEqual(3));
    }
  });
});

describe("DtmfListener agrees with detectDtmf on the other fixtures", () => {
  it("0 * # 9 D at 16 kHz under 20 dB SNR noise", () => {
    const { samples, rate } = load(noisyWav);
    expect(digits(listen(samples, rate, [320]))).toBe("0*#9D");
    expect(digits(listen(samples, rate, [111, 7]))).toBe("0*#9D");
  });

  it("a 30 ms tone is not a key; the 60 ms one after it is", () => {
    const { samples, rate } = load(shortWav);
    expect(digits(listen(samples, rate, [160]))).toBe("6");
    expect(digits(listen(samples, rate, [33]))).toBe("6");
  });

  it("twist limits: accepts 8 and 0, rejects 7, 9 and a lone tone", () => {
    const { samples, rate } = load(twistWav);
    expect(digits(listen(samples, rate, [160]))).toBe("80");
  });

  it("hears no keys in speech or silence", () => {
    for (const file of [agentWav, balanceWav, silenceWav]) {
      const { samples, rate } = load(file);
      expect(listen(samples, rate, [320])).toEqual([]);
      expect(listen(samples, rate, [57])).toEqual([]);
      expect(listen(resample(samples, rate, 8000), 8000, [160])).toEqual([]);
    }
  });
});

describe("DtmfListener presses", () => {
  const rate = 8000;

  it("reports a key held for 3 s once, early (the fixed-size window buffer would throw if it overflowed)", () => {
    const held = toInt16(concat(silence(rate, 100), keyTone("5", rate, 3000), silence(rate, 200)));
    const heard = listen(held, rate, [160]);
    expect(digits(heard)).toBe("5");
    expect(Math.abs(heard[0]!.atMs - 100)).toBeLessThanOrEqual(3);
    expect(heard[0]!.heardMs).toBeLessThanOrEqual(170);
  });

  it("treats a 10 ms drop-out as the same press and a 50 ms pause as two presses", () => {
    const dropout = toInt16(
      concat(keyTone("7", rate, 80), silence(rate, 10), keyTone("7", rate, 80), silence(rate, 100)),
    );
    expect(digits(listen(dropout, rate, [160]))).toBe("7");
    const twice = toInt16(
      concat(keyTone("7", rate, 80), silence(rate, 50), keyTone("7", rate, 80), silence(rate, 100)),
    );
    const two = listen(twice, rate, [160]);
    expect(digits(two)).toBe("77");
    expect(Math.abs(two[1]!.atMs - 130)).toBeLessThanOrEqual(3);
  });

  it("hears a 40 ms tone (the shortest Q.24 requires) wherever it falls against the 20 ms analysis steps", () => {
    for (let offset = 0; offset < 20; offset++) {
      for (const key of ["1", "5", "D"]) {
        const tone = toInt16(concat(silence(rate, 100 + offset), keyTone(key, rate, 40), silence(rate, 100)));
        const heard = listen(tone, rate, [160]);
        expect(digits(heard), `${key} at +${offset} ms`).toBe(key);
        expect(Math.abs(heard[0]!.atMs - (100 + offset))).toBeLessThanOrEqual(3);
      }
    }
  });

  it("reads fast dialling: 45 ms tones with 45 ms gaps", () => {
    const keys = "0123456789*#ABCD";
    const signal = concat(...[...keys].flatMap((k) => [keyTone(k, rate, 45), silence(rate, 45)]));
    expect(digits(listen(toInt16(signal), rate, [160]))).toBe(keys);
    expect(digits(listen(toInt16(signal), rate, [23, 301]))).toBe(keys);
  });

  it("finds a press that ends with the stream through flush()", () => {
    const tail = toInt16(concat(silence(rate, 200), keyTone("9", rate, 45)));
    const listener = new DtmfListener(rate);
    const pushed = listener.push(tail.subarray(0, tail.length - 5));
    const flushed = listener.flush();
    expect(digits([...pushed, ...flushed])).toBe("9");
  });

  it("keeps its clock across pushes: a key after 10 s of silence is placed at 10 s", () => {
    const listener = new DtmfListener(rate);
    for (let i = 0; i < 500; i++) expect(listener.push(new Int16Array(160))).toEqual([]);
    const found = [...listener.push(toInt16(concat(keyTone("#", rate, 60), silence(rate, 40)))), ...listener.flush()];
    expect(digits(found)).toBe("#");
    expect(Math.abs(found[0]!.atMs - 10000)).toBeLessThanOrEqual(3);
  });

  it("refuses rates detectDtmf cannot use", () => {
    expect(() => new DtmfListener(4000)).toThrow(RangeError);
  });
});
