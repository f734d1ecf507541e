import { describe, expect, it } from "vitest";
import flac from "../../test/fixtures/audio/balance-16k.flac";
import ogg from "../../test/fixtures/audio/balance-16k.ogg";
import wav from "../../test/fixtures/audio/balance-16k.wav";
import mulawWav from "../../test/fixtures/audio/balance-8k-mulaw.wav";
import ulaw from "../../test/fixtures/audio/balance-8k.ulaw";
import { type DecodeLimits, type DecodedAudio, decodeAudio, pcmDurationMs } from "./decode";
import { AudioError } from "./errors";
import { aLawDecode, aLawEncode, muLawDecode } from "./g711";
import { pcm16ToSamples, samplesToPcm16 } from "./pcm";
import { bytes, chunk, fmtChunk, riffWave } from "./test-signals";
import { encodeWav } from "./wav";

const LIMITS: DecodeLimits = { maxBytes: 10 * 1024 * 1024, maxDurationMs: 300_000 };
const PROMPT = pcm16ToSamples(wav.subarray(44), true); // the canonical header is exactly 44 bytes

function pcmOf(result: DecodedAudio): Extract<DecodedAudio, { kind: "pcm" }> {
  if (result.kind !== "pcm") throw new Error(`expected PCM, got ${result.kind}`);
  return result;
}

function rejection(body: Uint8Array, type: string | null, limits = LIMITS): AudioError {
  try {
    decodeAudio(body, type, limits);
  } catch (e) {
    if (e instanceof AudioError) return e;
    throw e;
  }
  throw new Error("decodeAudio accepted the body");
}

describe("pcmDurationMs", () => {
  it("converts sample counts to whole milliseconds", () => {
    expect(pcmDurationMs(16000, 16000)).toBe(1000);
    expect(pcmDurationMs(46949, 16000)).toBe(2934);
    expect(pcmDurationMs(4, 8000)).toBe(1); // 0.5 ms rounds up
    expect(pcmDurationMs(0, 8000)).toBe(0);
  });
});

describe("decodeAudio: formats decoded in the Worker", () => {
  it("decodes a PCM WAV to its samples", () => {
    const out = pcmOf(decodeAudio(wav, "audio/wav", LIMITS));
    expect(out).toMatchObject({ sampleRate: 16000, durationMs: 2934, mediaType: "audio/wav" });
    expect(out.samples).toEqual(PROMPT);
    expect(out.samples[0]).toBe(190);
  });

  it("decodes a mu-law WAV through G.711", () => {
    const out = pcmOf(decodeAudio(mulawWav, "audio/x-wav", LIMITS));
    expect(out).toMatchObject({ sampleRate: 8000, durationMs: 2934 });
    expect(out.samples).toEqual(muLawDecode(mulawWav.subarray(58)));
  });

  it("decodes headerless audio/basic", () => {
    const out = pcmOf(decodeAudio(ulaw, "audio/basic", LIMITS));
    expect(out).toMatchObject({ sampleRate: 8000, durationMs: 2934, mediaType: "audio/basic" });
    expect(out.samples).toEqual(muLawDecode(ulaw));
  });

  it("decodes headerless A-law at the declared rate", () => {
    const body = aLawEncode(PROMPT);
    const out = pcmOf(decodeAudio(body, "audio/PCMA;rate=16000", LIMITS));
    expect(out).toMatchObject({ sampleRate: 16000, durationMs: 2934, mediaType: "audio/PCMA;rate=16000" });
    expect(out.samples).toEqual(aLawDecode(body));
  });

  it("byte-swaps audio/L16, which is big-endian, to the same samples as the WAV", () => {
    const body = samplesToPcm16(PROMPT, false);
    const out = pcmOf(decodeAudio(body, "audio/L16;rate=16000", LIMITS));
    expect(out.samples).toEqual(PROMPT);
    expect(out.mediaType).toBe("audio/L16;rate=16000");
  });

  it("down-mixes stereo WAV and stereo L16 to mono", () => {
    const stereo = Int16Array.from([1000, 3000, -200, -400, 7, 8]);
    const stereoWav = riffWave([
      fmtChunk({ tag: 1, channels: 2, sampleRate: 8000, bits: 16 }),
      chunk("data", samplesToPcm16(stereo, true)),
    ]);
    expect(Array.from(pcmOf(decodeAudio(stereoWav, "audio/wav", LIMITS)).samples)).toEqual([2000, -300, 8]);
    const l16 = pcmOf(decodeAudio(samplesToPcm16(stereo, false), "audio/L16;rate=8000;channels=2", LIMITS));
    expect(Array.from(l16.samples)).toEqual([2000, -300, 8]);
    expect(l16.durationMs).toBe(0); // 3 frames at 8 kHz
  });
});

describe("decodeAudio: compressed containers pass through", () => {
  it("keeps Ogg bytes and reads the duration from the last page", () => {
    const out = decodeAudio(ogg, "audio/ogg", LIMITS);
    expect(out).toEqual({ kind: "container", container: "ogg", bytes: ogg, mediaType: "audio/ogg", durationMs: 2934 });
  });

  it("keeps FLAC bytes and reads the duration from STREAMINFO", () => {
    expect(decodeAudio(flac, "audio/x-flac", LIMITS)).toMatchObject({
      kind: "container",
      container: "flac",
      mediaType: "audio/flac",
      durationMs: 2934,
    });
  });

  it("reports an unknown duration for WebM and MP3", () => {
    const webm = bytes([0x1a, 0x45, 0xdf, 0xa3], new Uint8Array(40));
    expect(decodeAudio(webm, "audio/webm;codecs=opus", LIMITS)).toMatchObject({
      container: "webm",
      mediaType: "audio/webm;codecs=opus",
      durationMs: null,
    });
    const mp3 = bytes([0xff, 0xfb, 0x90, 0x00], new Uint8Array(413), [0xff, 0xfb, 0x90, 0x00], new Uint8Array(20));
    expect(decodeAudio(mp3, "audio/mpeg", LIMITS)).toMatchObject({ container: "mp3", durationMs: null });
  });
});

describe("decodeAudio: client errors", () => {
  it("rejects an empty body, naming what to send", () => {
    const err = rejection(new Uint8Array(0), "audio/wav");
    expect(err.code).toBe("invalid_audio");
    expect(err.message).toMatch(/request body is empty; send/);
  });

  it("rejects a body over maxBytes as payload_too_large", () => {
    const err = rejection(wav, "audio/wav", { ...LIMITS, maxBytes: 50_000 });
    expect(err.code).toBe("payload_too_large");
    expect(err.message).toMatch(/93942 bytes.*50000 bytes/);
  });

  it("rejects an unknown Content-Type before looking at the body", () => {
    expect(rejection(wav, "application/json").code).toBe("unsupported_media_type");
    expect(rejection(new Uint8Array(0), null).code).toBe("unsupported_media_type");
  });

  it("rejects a WAV declared as Ogg, saying what the bytes look like and what to declare", () => {
    const err = rejection(wav, "audio/ogg");
    expect(err.code).toBe("invalid_audio");
    expect(err.message).toMatch(/looks like a WAV file .* declares audio\/ogg; set Content-Type to audio\/wav/);
  });

  it("rejects random bytes declared as WAV", () => {
    const noise = Uint8Array.from({ length: 256 }, (_, i) => (i * 97 + 13) & 0xff);
    const err = rejection(noise, "audio/wav");
    expect(err.code).toBe("invalid_audio");
    expect(err.message).toMatch(/no recognised audio container .* declares audio\/wav/);
  });

  it("rejects an MP3 declared as FLAC", () => {
    const mp3 = bytes([0xff, 0xfb, 0x90, 0x00], new Uint8Array(413), [0xff, 0xfb, 0x90, 0x00], new Uint8Array(20));
    expect(rejection(mp3, "audio/flac").message).toMatch(/looks like an MP3 file .* set Content-Type to audio\/mpeg/);
  });

  it("rejects a container declared as raw samples", () => {
    const asL16 = rejection(wav, "audio/L16;rate=16000");
    expect(asL16.code).toBe("invalid_audio");
    expect(asL16.message).toMatch(/WAV file .* audio\/L16;rate=16000, which means raw headerless samples/);
    expect(rejection(ogg, "audio/basic").message).toMatch(/Ogg file/);
  });

  it("rejects L16 with an odd byte count", () => {
    const err = rejection(new Uint8Array(1001), "audio/L16;rate=8000");
    expect(err.code).toBe("invalid_audio");
    expect(err.message).toMatch(/1001 bytes.*whole number of 16-bit samples/);
  });

  it("rejects a WAV whose data chunk is empty", () => {
    const empty = riffWave([fmtChunk({ tag: 1, channels: 1, sampleRate: 16000, bits: 16 }), chunk("data", [])]);
    expect(rejection(empty, "audio/wav").code).toBe("invalid_audio");
  });

  it("rejects a truncated WAV", () => {
    expect(rejection(wav.subarray(0, 50_000), "audio/wav").message).toMatch(/truncated/);
  });
});

describe("decodeAudio: duration limit", () => {
  const oneSecond = encodeWav(new Int16Array(16000), 16000);

  it("accepts audio exactly at the limit and rejects one millisecond over", () => {
    expect(decodeAudio(oneSecond, "audio/wav", { ...LIMITS, maxDurationMs: 1000 })).toMatchObject({ durationMs: 1000 });
    const err = rejection(oneSecond, "audio/wav", { ...LIMITS, maxDurationMs: 999 });
    expect(err.code).toBe("payload_too_large");
    expect(err.message).toMatch(/lasts 1 s, over the limit of 0\.999 s/);
  });

  it("applies to raw audio using the declared rate", () => {
    expect(rejection(ulaw, "audio/basic", { ...LIMITS, maxDurationMs: 2000 }).code).toBe("payload_too_large");
    expect(decodeAudio(ulaw, "audio/PCMU;rate=16000", { ...LIMITS, maxDurationMs: 2000 })).toMatchObject({
      durationMs: 1467,
    });
  });

  it("applies to FLAC and Ogg, whose length is in their headers", () => {
    expect(rejection(flac, "audio/flac", { ...LIMITS, maxDurationMs: 2000 }).message).toMatch(
      /lasts 2\.934 s, over the limit of 2 s/,
    );
    expect(rejection(ogg, "audio/ogg", { ...LIMITS, maxDurationMs: 2000 }).code).toBe("payload_too_large");
  });
});
