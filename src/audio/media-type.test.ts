import { describe, expect, it } from "vitest";
import { AudioError } from "./errors";
import { parseAudioMediaType } from "./media-type";

function rejection(contentType: string | null): AudioError {
  try {
    parseAudioMediaType(contentType);
  } catch (e) {
    if (e instanceof AudioError) return e;
    throw e;
  }
  throw new Error(`accepted ${contentType}`);
}

describe("parseAudioMediaType", () => {
  it("maps every WAV alias to wav, whatever the case and parameters", () => {
    for (const t of [
      "audio/wav",
      "audio/x-wav",
      "audio/wave",
      "audio/vnd.wave",
      "AUDIO/WAV",
      " audio/Wave ; codecs=1",
    ]) {
      expect(parseAudioMediaType(t)).toEqual({ kind: "wav", mediaType: "audio/wav" });
    }
  });

  it("reads audio/L16 rate and channels (big-endian PCM, RFC 2586)", () => {
    expect(parseAudioMediaType("audio/L16;rate=16000")).toEqual({
      kind: "raw",
      encoding: "l16",
      sampleRate: 16000,
      channels: 1,
      mediaType: "audio/L16;rate=16000",
    });
    expect(parseAudioMediaType('audio/l16; Rate="8000"; channels=2')).toMatchObject({
      sampleRate: 8000,
      channels: 2,
      mediaType: "audio/L16;rate=8000;channels=2",
    });
  });

  it("requires a rate for audio/L16", () => {
    const err = rejection("audio/L16");
    expect(err.code).toBe("unsupported_media_type");
    expect(err.message).toMatch(/rate=16000/);
  });

  it("fixes audio/basic at 8 kHz mono mu-law", () => {
    expect(parseAudioMediaType("audio/basic")).toEqual({
      kind: "raw",
      encoding: "mulaw",
      sampleRate: 8000,
      channels: 1,
      mediaType: "audio/basic",
    });
    expect(parseAudioMediaType("audio/basic;rate=16000")).toMatchObject({ sampleRate: 8000 });
  });

  it("reads G.711 types with an optional rate defaulting to 8 kHz", () => {
    expect(parseAudioMediaType("audio/PCMU")).toMatchObject({
      kind: "raw",
      encoding: "mulaw",
      sampleRate: 8000,
      mediaType: "audio/PCMU;rate=8000",
    });
    expect(parseAudioMediaType("audio/x-mulaw;rate=16000")).toMatchObject({ encoding: "mulaw", sampleRate: 16000 });
    expect(parseAudioMediaType("audio/pcma")).toMatchObject({
      encoding: "alaw",
      sampleRate: 8000,
      mediaType: "audio/PCMA;rate=8000",
    });
    expect(parseAudioMediaType("audio/x-alaw; rate=24000")).toMatchObject({ encoding: "alaw", sampleRate: 24000 });
  });

  it("maps compressed types to their container", () => {
    const cases: [string, string, string][] = [
      ["audio/ogg", "ogg", "audio/ogg"],
      ["audio/opus", "ogg", "audio/ogg;codecs=opus"],
      ["audio/webm", "webm", "audio/webm"],
      ["audio/mpeg", "mp3", "audio/mpeg"],
      ["audio/MP3", "mp3", "audio/mpeg"],
      ["audio/flac", "flac", "audio/flac"],
      ["audio/x-flac", "flac", "audio/flac"],
    ];
    for (const [type, container, mediaType] of cases) {
      expect(parseAudioMediaType(type)).toEqual({ kind: "container", container, mediaType });
    }
  });

  it("keeps a plain codecs hint (browsers send audio/webm;codecs=opus) but drops anything odd", () => {
    expect(parseAudioMediaType("audio/webm;codecs=opus").mediaType).toBe("audio/webm;codecs=opus");
    expect(parseAudioMediaType('audio/ogg; codecs="Vorbis"').mediaType).toBe("audio/ogg;codecs=vorbis");
    expect(parseAudioMediaType("audio/webm;codecs=opus\r\nX-Evil: 1").mediaType).toBe("audio/webm");
  });

  it("rejects non-audio, unknown and missing types, listing what is accepted", () => {
    for (const t of [
      "text/plain",
      "application/octet-stream",
      "audio/aac",
      "video/webm",
      "application/x-www-form-urlencoded",
      "",
      null,
    ]) {
      const err = rejection(t);
      expect(err.code).toBe("unsupported_media_type");
      expect(err.message).toMatch(/audio\/wav, audio\/L16;rate=<Hz>.*audio\/flac/);
    }
    expect(rejection("text/plain").message).toMatch(/'text\/plain'/);
    expect(rejection(null).message).toMatch(/no Content-Type/);
  });

  it("rejects rates and channel counts it cannot process", () => {
    for (const t of [
      "audio/L16;rate=96000",
      "audio/L16;rate=abc",
      "audio/PCMU;rate=16000.5",
      "audio/L16;rate=16000;channels=6",
      "audio/pcma;channels=0",
    ]) {
      expect(rejection(t).code).toBe("unsupported_media_type");
    }
    expect(rejection("audio/L16;rate=96000").message).toMatch(/8000 to 48000/);
  });
});

describe("a parameter given twice (issue 21)", () => {
  it("is refused: audio/L16;rate=16000;rate=8000 has no one meaning", () => {
    expect(() => parseAudioMediaType("audio/L16;rate=16000;rate=8000")).toThrow(/'rate' twice/);
    expect(() => parseAudioMediaType("audio/L16; RATE=16000; rate=16000")).toThrow(/twice/);
    expect(parseAudioMediaType("audio/L16;rate=16000")).toMatchObject({ kind: "raw", sampleRate: 16000 });
  });
});
