import { describe, expect, it } from "vitest";
import alawWav from "../../test/fixtures/audio/balance-8k-alaw.wav";
import mulawWav from "../../test/fixtures/audio/balance-8k-mulaw.wav";
import pcmWav from "../../test/fixtures/audio/balance-16k.wav";
import { AudioError } from "./errors";
import { pcm16ToSamples } from "./pcm";
import { ascii, bytes, chunk, fmtChunk, riffWave, u32le } from "./test-signals";
import { encodeWav, encodeWavG711, parseWav } from "./wav";

const PCM = { tag: 1, channels: 1, sampleRate: 16000, bits: 16 };
const samples = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 37) & 0xff);

function failure(input: Uint8Array): AudioError {
  try {
    parseWav(input);
  } catch (e) {
    if (e instanceof AudioError) return e;
    throw e;
  }
  throw new Error("parseWav accepted the input");
}

describe("parseWav: real files", () => {
  it("reads the 16 kHz PCM fixture", () => {
    const wav = parseWav(pcmWav);
    expect(wav).toMatchObject({ encoding: "pcm16", sampleRate: 16000, channels: 1 });
    expect(wav.data.length).toBe(93898);
    expect(wav.data.byteOffset).toBe(pcmWav.byteOffset + 44); // a view, not a copy
  });

  it("reads mu-law (tag 7) past its fact chunk", () => {
    const wav = parseWav(mulawWav);
    expect(wav).toMatchObject({ encoding: "mulaw", sampleRate: 8000, channels: 1 });
    expect(wav.data.length).toBe(23474);
    expect(wav.data.byteOffset - mulawWav.byteOffset).toBe(58); // 12 + fmt (8+18) + fact (8+4) + data header 8
  });

  it("reads A-law (tag 6) written by sox", () => {
    expect(parseWav(alawWav)).toMatchObject({ encoding: "alaw", sampleRate: 8000, channels: 1 });
  });
});

describe("parseWav: chunk walking", () => {
  it("skips LIST/fact/JUNK chunks and honours the pad byte after an odd-sized chunk", () => {
    const data = samples(8);
    const wav = parseWav(
      riffWave([
        chunk("JUNK", [1, 2, 3]),
        fmtChunk(PCM),
        chunk("LIST", samples(5)),
        chunk("fact", u32le(4)),
        chunk("data", data),
      ]),
    );
    expect(wav.data).toEqual(data);
  });

  it("stops at the declared data size and ignores chunks after the data", () => {
    const data = samples(10);
    const wav = parseWav(riffWave([fmtChunk(PCM), chunk("data", data), chunk("LIST", ascii("INFO"))]));
    expect(wav.data).toEqual(data);
  });

  it("reads WAVE_FORMAT_EXTENSIBLE with the PCM sub-format, and stereo", () => {
    const wav = parseWav(
      riffWave([fmtChunk({ ...PCM, tag: 0xfffe, channels: 2, subformat: 1 }), chunk("data", samples(16))]),
    );
    expect(wav).toMatchObject({ encoding: "pcm16", channels: 2, sampleRate: 16000 });
  });

  it("reads WAVE_FORMAT_EXTENSIBLE with the mu-law sub-format", () => {
    const wav = parseWav(
      riffWave([
        fmtChunk({ tag: 0xfffe, channels: 1, sampleRate: 8000, bits: 8, subformat: 7 }),
        chunk("data", samples(3)),
      ]),
    );
    expect(wav.encoding).toBe("mulaw");
    expect(wav.data.length).toBe(3);
  });

  it("drops a dangling partial frame", () => {
    const wav = parseWav(riffWave([fmtChunk({ ...PCM, channels: 2 }), chunk("data", samples(10))]));
    expect(wav.data.length).toBe(8);
  });
});

describe("parseWav: streaming writers", () => {
  it("reads to the end of the file when RIFF and data sizes are 0xFFFFFFFF", () => {
    const wav = parseWav(riffWave([fmtChunk(PCM), chunk("data", samples(20), 0xffffffff)], 0xffffffff));
    expect(wav.data.length).toBe(20);
  });

  it("reads to the end of the file when RIFF and data sizes are both left at 0", () => {
    const wav = parseWav(riffWave([fmtChunk(PCM), chunk("data", samples(20), 0)], 0));
    expect(wav.data.length).toBe(20);
  });

  it("treats a zero data size in an otherwise finished file as empty, not as streaming", () => {
    const err = failure(riffWave([fmtChunk(PCM), chunk("data", [], 0)]));
    expect(err.code).toBe("invalid_audio");
    expect(err.message).toMatch(/no audio samples/);
  });
});

describe("parseWav: malformed files are invalid_audio", () => {
  it("rejects a file cut in the middle of its data chunk", () => {
    const cut = pcmWav.subarray(0, pcmWav.length - 1000);
    const err = failure(cut);
    expect(err.code).toBe("invalid_audio");
    expect(err.message).toMatch(/truncated.*93898 bytes.*92898/);
  });

  it("tolerates a missing final byte (a writer counting the pad byte), keeping whole samples", () => {
    const wav = parseWav(pcmWav.subarray(0, pcmWav.length - 1));
    expect(wav.data.length).toBe(93896);
  });

  it("rejects a file whose header chunk runs past the end", () => {
    expect(failure(riffWave([fmtChunk(PCM), chunk("LIST", samples(4), 4000)])).message).toMatch(/truncated.*'LIST'/);
  });

  it("rejects data before fmt, missing data, missing fmt, short fmt and non-RIFF bodies", () => {
    const cases = [
      [riffWave([chunk("data", samples(4)), fmtChunk(PCM)]), /before the 'fmt ' chunk/],
      [riffWave([fmtChunk(PCM)]), /ends before its data chunk/],
      [riffWave([chunk("LIST", samples(4))]), /no 'fmt ' chunk/],
      [riffWave([chunk("fmt ", samples(14)), chunk("data", samples(4))]), /shorter than the 16 bytes/],
      [bytes(ascii("RIFF"), u32le(4), ascii("AVI ")), /not a WAV file/],
      [Uint8Array.from([1, 2, 3]), /not a WAV file/],
    ] as const;
    for (const [input, message] of cases) {
      const err = failure(input);
      expect(err.code).toBe("invalid_audio");
      expect(err.message).toMatch(message);
    }
  });

  it("rejects 0 channels and a 0 Hz sample rate", () => {
    expect(failure(riffWave([fmtChunk({ ...PCM, channels: 0 }), chunk("data", samples(4))])).code).toBe(
      "invalid_audio",
    );
    expect(failure(riffWave([fmtChunk({ ...PCM, sampleRate: 0 }), chunk("data", samples(4))])).code).toBe(
      "invalid_audio",
    );
  });
});

describe("parseWav: valid but unsupported files are unsupported_media_type", () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ["24-bit PCM", riffWave([fmtChunk({ ...PCM, bits: 24 }), chunk("data", samples(6))]), /24-bit PCM/],
    ["8-bit PCM", riffWave([fmtChunk({ ...PCM, bits: 8 }), chunk("data", samples(6))]), /8-bit PCM/],
    [
      "32-bit float",
      riffWave([fmtChunk({ ...PCM, tag: 3, bits: 32 }), chunk("data", samples(8))]),
      /32-bit floating-point/,
    ],
    ["MS ADPCM", riffWave([fmtChunk({ ...PCM, tag: 2, bits: 4 }), chunk("data", samples(8))]), /Microsoft ADPCM/],
    ["16-bit mu-law", riffWave([fmtChunk({ ...PCM, tag: 7 }), chunk("data", samples(8))]), /16-bit mu-law/],
    [
      "extensible float",
      riffWave([fmtChunk({ ...PCM, tag: 0xfffe, bits: 32, subformat: 3 }), chunk("data", samples(8))]),
      /32-bit floating-point/,
    ],
    [
      "extensible, foreign GUID",
      riffWave([fmtChunk({ ...PCM, tag: 0xfffe, guidTail: new Array(12).fill(7) }), chunk("data", samples(8))]),
      /sub-format/,
    ],
    ["3 channels", riffWave([fmtChunk({ ...PCM, channels: 3 }), chunk("data", samples(12))]), /3 channels/],
    ["96 kHz", riffWave([fmtChunk({ ...PCM, sampleRate: 96000 }), chunk("data", samples(8))]), /96000 Hz/],
    ["4 kHz", riffWave([fmtChunk({ ...PCM, sampleRate: 4000 }), chunk("data", samples(8))]), /4000 Hz/],
    ["big-endian RIFX", bytes(ascii("RIFX"), u32le(4), ascii("WAVE")), /RIFX/],
  ];
  for (const [name, input, message] of cases) {
    it(`rejects ${name}, naming what to send instead`, () => {
      const err = failure(input);
      expect(err.code).toBe("unsupported_media_type");
      expect(err.message).toMatch(message);
      if (name !== "big-endian RIFX") expect(err.message).toMatch(/send /);
    });
  }
});

describe("encodeWav", () => {
  it("writes the canonical 44-byte PCM16 mono header", () => {
    const out = encodeWav(Int16Array.from([1, -2, 3]), 16000);
    const view = new DataView(out.buffer);
    expect(out.length).toBe(50);
    expect(String.fromCharCode(...out.subarray(0, 4), ...out.subarray(8, 16), ...out.subarray(36, 40))).toBe(
      "RIFFWAVEfmt data",
    );
    expect(view.getUint32(4, true)).toBe(42);
    expect(view.getUint16(20, true)).toBe(1); // PCM
    expect(view.getUint32(28, true)).toBe(32000); // byte rate
    expect(view.getUint32(40, true)).toBe(6);
    expect(view.getInt16(46, true)).toBe(-2);
  });

  it("round-trips through parseWav", () => {
    const s = Int16Array.from([0, 32767, -32768, 5]);
    const wav = parseWav(encodeWav(s, 24000));
    expect(wav).toMatchObject({ encoding: "pcm16", sampleRate: 24000, channels: 1 });
    expect(pcm16ToSamples(wav.data, true)).toEqual(s);
  });
});

describe("encodeWavG711", () => {
  it("writes tag 7 with a fact chunk and a pad byte after odd-length data", () => {
    const out = encodeWavG711(Uint8Array.from([1, 2, 3]), 8000, "mulaw");
    const view = new DataView(out.buffer);
    expect(view.getUint16(20, true)).toBe(7);
    expect(String.fromCharCode(...out.subarray(38, 42))).toBe("fact");
    expect(view.getUint32(46, true)).toBe(3); // sample count
    expect(out.length % 2).toBe(0);
    expect(view.getUint32(4, true)).toBe(out.length - 8);
    const wav = parseWav(out);
    expect(wav).toMatchObject({ encoding: "mulaw", sampleRate: 8000, channels: 1 });
    expect(Array.from(wav.data)).toEqual([1, 2, 3]);
  });

  it("writes A-law as tag 6", () => {
    expect(parseWav(encodeWavG711(Uint8Array.from([0xd5, 0x55]), 16000, "alaw"))).toMatchObject({
      encoding: "alaw",
      sampleRate: 16000,
    });
  });
});
