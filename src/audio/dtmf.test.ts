import { describe, expect, it } from "vitest";
import agentWav from "../../test/fixtures/audio/agent-16k.wav";
import balanceWav from "../../test/fixtures/audio/balance-16k.wav";
import mulawWav from "../../test/fixtures/audio/balance-8k-mulaw.wav";
import noisyWav from "../../test/fixtures/audio/dtmf-0sh9D-16k-noise20db.wav";
import keypadWav from "../../test/fixtures/audio/dtmf-1234H-8k.wav";
import shortWav from "../../test/fixtures/audio/dtmf-30ms5-then-6-8k.wav";
import twistWav from "../../test/fixtures/audio/dtmf-twist-7r8a9r0a-8k.wav";
import silenceWav from "../../test/fixtures/audio/silence-2s-16k.wav";
import { type DtmfEvent, detectDtmf } from "./dtmf";
import { muLawDecode } from "./g711";
import { pcm16ToSamples } from "./pcm";
import { resample } from "./resample";
import { KEYS, concat, keyTone, power, silence, sine, toInt16, withNoise } from "./test-signals";
import { parseWav } from "./wav";

function load(file: Uint8Array): { samples: Int16Array; rate: number } {
  const wav = parseWav(file);
  const samples = wav.encoding === "mulaw" ? muLawDecode(wav.data) : pcm16ToSamples(wav.data, true);
  return { samples, rate: wav.sampleRate };
}

function detect(signal: Float64Array, rate: number): string {
  return detectDtmf(toInt16(signal), rate).digits;
}

/** Each event within 3 ms of where the tone really starts and ends. */
function expectTimings(events: DtmfEvent[], expected: [string, number, number][]): void {
  expect(events.map((e) => e.digit)).toEqual(expected.map(([d]) => d));
  events.forEach((e, i) => {
    const [, start, end] = expected[i]!;
    expect(Math.abs(e.startMs - start), `start of ${e.digit}`).toBeLessThanOrEqual(3);
    expect(Math.abs(e.endMs - end), `end of ${e.digit}`).toBeLessThanOrEqual(3);
  });
}

describe("detectDtmf on recorded fixtures", () => {
  it("reads 1 2 3 4 # with each 100 ms tone placed to within 3 ms", () => {
    const { samples, rate } = load(keypadWav);
    const result = detectDtmf(samples, rate);
    expect(result.digits).toBe("1234#");
    expectTimings(result.events, [
      ["1", 0, 100],
      ["2", 180, 280],
      ["3", 360, 460],
      ["4", 540, 640],
      ["#", 720, 820],
    ]);
  });

  it("reads the same keys after resampling to 16 and 24 kHz", () => {
    const { samples, rate } = load(keypadWav);
    expect(detectDtmf(resample(samples, rate, 16000), 16000).digits).toBe("1234#");
    expect(detectDtmf(resample(samples, rate, 24000), 24000).digits).toBe("1234#");
  });

  it("reads 0 * # 9 D at 16 kHz under white noise at 20 dB SNR", () => {
    const { samples, rate } = load(noisyWav);
    const result = detectDtmf(samples, rate);
    expect(result.digits).toBe("0*#9D");
    expectTimings(result.events, [
      ["0", 50, 110],
      ["*", 160, 220],
      ["#", 270, 330],
      ["9", 380, 440],
      ["D", 490, 550],
    ]);
  });

  it("ignores a 30 ms tone but reads the 60 ms one after it", () => {
    const { samples, rate } = load(shortWav);
    expect(detectDtmf(samples, rate).digits).toBe("6");
  });

  it("accepts 6 dB normal and 2 dB reverse twist, rejects 12 dB normal, 7 dB reverse and a lone tone", () => {
    const { samples, rate } = load(twistWav);
    expect(detectDtmf(samples, rate).digits).toBe("80");
  });

  it("finds no keys in speech or silence, at their own rate and at 8 kHz", () => {
    for (const file of [balanceWav, agentWav, silenceWav, mulawWav]) {
      const { samples, rate } = load(file);
      expect(detectDtmf(samples, rate)).toEqual({ digits: "", events: [] });
      if (rate !== 8000) expect(detectDtmf(resample(samples, rate, 8000), 8000).digits).toBe("");
    }
  });
});

describe("detectDtmf on synthetic tones", () => {
  for (const rate of [8000, 16000, 24000]) {
    it(`recognises each of the 16 keys alone at ${rate} Hz`, () => {
      for (const key of KEYS) {
        const result = detectDtmf(toInt16(concat(silence(rate, 30), keyTone(key, rate, 60), silence(rate, 30))), rate);
        expect(result.digits, key).toBe(key);
        expectTimings(result.events, [[key, 30, 90]]);
      }
    });
  }

  it("reads all 16 keys dialled in a row (50 ms tones, 45 ms gaps)", () => {
    const rate = 16000;
    const signal = concat(...[...KEYS].flatMap((k) => [keyTone(k, rate, 50), silence(rate, 45)]));
    expect(detect(signal, rate)).toBe(KEYS);
  });

  it("rejects tones shorter than ~40 ms and accepts 40 ms ones (ITU-T Q.24)", () => {
    for (const rate of [8000, 16000]) {
      for (const ms of [20, 30])
        expect(detect(concat(silence(rate, 20), keyTone("5", rate, ms), silence(rate, 20)), rate), `${ms} ms`).toBe("");
      expect(detect(concat(silence(rate, 20), keyTone("5", rate, 40), silence(rate, 20)), rate)).toBe("5");
    }
  });

  it("enforces the twist limits: low group up to 8 dB louder, high group up to 4 dB louder", () => {
    const rate = 8000;
    const twisted = (lowDb: number, highDb: number): string =>
      detect(concat(keyTone("7", rate, 80, lowDb, highDb), silence(rate, 20)), rate);
    expect(twisted(-10, -16)).toBe("7"); // normal twist 6 dB
    expect(twisted(-10, -20)).toBe(""); // normal twist 10 dB
    expect(twisted(-13, -10)).toBe("7"); // reverse twist 3 dB
    expect(twisted(-16, -10)).toBe(""); // reverse twist 6 dB
  });

  it("still detects keys with white noise at 20 dB SNR, at 8 and 16 kHz", () => {
    for (const rate of [8000, 16000]) {
      const clean = concat(silence(rate, 40), ...[..."159#"].flatMap((k) => [keyTone(k, rate, 60), silence(rate, 60)]));
      const tonePower = power(keyTone("1", rate, 60));
      expect(detect(withNoise(clean, tonePower, 20), rate)).toBe("159#");
    }
  });

  it("rejects any single frequency on its own, however loud or long", () => {
    for (const f of [697, 770, 852, 941, 1209, 1336, 1477, 1633]) {
      expect(detect(sine(f, 8000, 300, 16000), 8000), `${f} Hz`).toBe("");
    }
  });

  it("rejects a pair whose column tone has a strong second harmonic, as voiced speech would", () => {
    const rate = 8000;
    const pair = keyTone("1", rate, 100);
    expect(detect(pair, rate)).toBe("1");
    const harmonic = sine(2 * 1209, rate, 100, 32767 * 10 ** (-17 / 20), 1.9); // 5 dB below the 1209 Hz tone
    expect(
      detect(
        pair.map((v, i) => v + harmonic[i]!),
        rate,
      ),
    ).toBe("");
  });

  it("rejects a pair that carries only a small share of the sound (a louder signal elsewhere in the band)", () => {
    const rate = 16000;
    const pair = keyTone("6", rate, 100, -24, -24);
    const high = sine(2600, rate, 100, 32767 * 10 ** (-20 / 20));
    const other = sine(440, rate, 100, 32767 * 10 ** (-20 / 20)).map((v, i) => v + high[i]!);
    expect(detect(pair, rate)).toBe("6");
    expect(
      detect(
        pair.map((v, i) => v + other[i]!),
        rate,
      ),
    ).toBe("");
  });

  it("rejects two keys of one row pressed at once (one row tone, two column tones)", () => {
    const rate = 8000;
    const second = sine(1477, rate, 100, 32767 * 10 ** (-12 / 20), 0.8);
    const one = keyTone("1", rate, 100, -9, -12); // a louder row tone keeps twist and energy share in range
    expect(detect(one, rate)).toBe("1");
    expect(
      detect(
        one.map((v, i) => v + second[i]!),
        rate,
      ),
    ).toBe("");
  });

  it("ignores tones too quiet to be a key press, and hears quiet ones that are", () => {
    const rate = 8000;
    expect(detect(keyTone("2", rate, 100, -40, -40), rate)).toBe("");
    expect(detect(keyTone("2", rate, 100, -30, -30), rate)).toBe("2");
  });

  it("accepts frequencies off by 1.5% and rejects them off by 3.5% (ITU-T Q.24)", () => {
    const rate = 8000;
    for (const ratio of [0.985, 1.015]) expect(detect(keyTone("D", rate, 80, -12, -12, ratio), rate)).toBe("D");
    for (const ratio of [0.965, 1.035]) expect(detect(keyTone("D", rate, 80, -12, -12, ratio), rate)).toBe("");
  });

  it("reports one digit for a key held for 1.5 s", () => {
    const result = detectDtmf(toInt16(withNoise(keyTone("0", 8000, 1500), power(keyTone("0", 8000, 50)), 25)), 8000);
    expect(result.digits).toBe("0");
    expectTimings(result.events, [["0", 0, 1500]]);
  });

  it("bridges drop-outs of up to 15 ms within one press but splits presses 40 ms apart (ITU-T Q.24)", () => {
    for (const rate of [8000, 16000]) {
      for (const gap of [5, 10, 15]) {
        expect(
          detect(concat(keyTone("3", rate, 60), silence(rate, gap), keyTone("3", rate, 60)), rate),
          `${gap} ms`,
        ).toBe("3");
      }
      expect(detect(concat(keyTone("3", rate, 60), silence(rate, 40), keyTone("3", rate, 60)), rate)).toBe("33");
    }
  });

  it("needs at least 8 kHz audio", () => {
    expect(() => detectDtmf(new Int16Array(100), 4000)).toThrow(RangeError);
  });
});
