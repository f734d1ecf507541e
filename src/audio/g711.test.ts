import { describe, expect, it } from "vitest";
import mulawWav from "../../test/fixtures/audio/balance-8k-mulaw.wav";
import ulaw from "../../test/fixtures/audio/balance-8k.ulaw";
import alawWav from "../../test/fixtures/audio/balance-8k-alaw.wav";
import pcmWav from "../../test/fixtures/audio/balance-16k.wav";
import { aLawDecode, aLawEncode, muLawDecode, muLawEncode } from "./g711";
import { pcm16ToSamples } from "./pcm";
import { resample } from "./resample";
import { sine, snrDb, toInt16 } from "./test-signals";
import { parseWav } from "./wav";

const allCodes = Uint8Array.from({ length: 256 }, (_, i) => i);
const allSamples = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);

function firstDecrease(x: Int16Array): number {
  for (let i = 1; i < x.length; i++) if (x[i]! < x[i - 1]!) return i;
  return -1;
}

describe("mu-law", () => {
  it("decodes the G.711 table end points and zero codes", () => {
    const d = muLawDecode(Uint8Array.from([0x00, 0x80, 0xff, 0x7f, 0xfe, 0x7e, 0xef, 0x6f]));
    expect(Array.from(d)).toEqual([-32124, 32124, 0, 0, 8, -8, 132, -132]);
  });

  it("encodes extremes and zero to the standard codes", () => {
    expect(Array.from(muLawEncode(Int16Array.from([0, 32767, -32768, 8, -8])))).toEqual([0xff, 0x80, 0x00, 0xfe, 0x7e]);
  });

  it("re-encodes every decoded code to itself (negative zero 0x7F becomes 0xFF)", () => {
    const expected = allCodes.map((c) => (c === 0x7f ? 0xff : c));
    expect(muLawEncode(muLawDecode(allCodes))).toEqual(expected);
  });

  it("is monotonic: larger inputs never encode to smaller values", () => {
    const decoded = muLawDecode(muLawEncode(allSamples));
    expect(firstDecrease(decoded)).toBe(-1);
  });

  it("keeps a 1 kHz tone at about 36 dB SNR (G.711's design point)", () => {
    const x = toInt16(sine(1000, 8000, 1000, 10000, 0.3));
    expect(snrDb(x, muLawDecode(muLawEncode(x)))).toBeGreaterThan(33);
  });

  it("round-trips real mu-law bytes from another encoder exactly", () => {
    expect(muLawEncode(muLawDecode(ulaw))).toEqual(ulaw);
  });

  it("decodes the mu-law WAV fixture to the same speech as the 16 kHz PCM original", () => {
    const reference = resample(pcm16ToSamples(parseWav(pcmWav).data, true), 16000, 8000);
    expect(snrDb(reference, muLawDecode(parseWav(mulawWav).data))).toBeGreaterThan(20);
  });
});

describe("A-law", () => {
  it("decodes the G.711 table end points and smallest codes", () => {
    const d = aLawDecode(Uint8Array.from([0xaa, 0x2a, 0xd5, 0x55, 0xd4, 0x54]));
    expect(Array.from(d)).toEqual([32256, -32256, 8, -8, 24, -24]);
  });

  it("encodes extremes and zero to the standard codes", () => {
    expect(Array.from(aLawEncode(Int16Array.from([0, -1, 32767, -32768])))).toEqual([0xd5, 0x55, 0xaa, 0x2a]);
  });

  it("re-encodes every one of the 256 codes to itself", () => {
    expect(aLawEncode(aLawDecode(allCodes))).toEqual(allCodes);
  });

  it("is monotonic over the whole 16-bit range", () => {
    const decoded = aLawDecode(aLawEncode(allSamples));
    expect(firstDecrease(decoded)).toBe(-1);
  });

  it("keeps a 1 kHz tone at about 38 dB SNR", () => {
    const x = toInt16(sine(1000, 8000, 1000, 10000, 0.3));
    expect(snrDb(x, aLawDecode(aLawEncode(x)))).toBeGreaterThan(35);
  });

  it("decodes sox's A-law encoding of the prompt to the same speech as the PCM original", () => {
    const reference = resample(pcm16ToSamples(parseWav(pcmWav).data, true), 16000, 8000);
    const wav = parseWav(alawWav);
    expect(wav.encoding).toBe("alaw");
    expect(snrDb(reference, aLawDecode(wav.data))).toBeGreaterThan(20);
  });
});
