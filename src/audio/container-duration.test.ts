import { describe, expect, it } from "vitest";
import flac from "../../test/fixtures/audio/balance-16k.flac";
import ogg from "../../test/fixtures/audio/balance-16k.ogg";
import { flacDurationMs, oggDurationMs } from "./container-duration";
import { AudioError } from "./errors";
import { ascii, bytes, u16le, u32le } from "./test-signals";

/** The 46,949-sample prompt at 16 kHz. */
const PROMPT_MS = 2934;

/** A minimal Ogg page: header, one-segment lacing table, payload. */
function oggPage(serial: number, granule: [number, number], payload: Uint8Array, headerType = 0): Uint8Array {
  return bytes(
    ascii("OggS"),
    [0, headerType],
    u32le(granule[0]),
    u32le(granule[1]),
    u32le(serial),
    u32le(0),
    u32le(0),
    [1, payload.length],
    payload,
  );
}

describe("flacDurationMs", () => {
  it("reads total samples and rate from STREAMINFO", () => {
    expect(flacDurationMs(flac)).toBe(PROMPT_MS);
  });

  it("reports null when the encoder did not know the total (0 samples)", () => {
    const copy = flac.slice(0, 64);
    copy.fill(0, 22, 26);
    copy[21] = copy[21]! & 0xf0;
    expect(flacDurationMs(copy)).toBeNull();
  });

  it("counts the top 4 bits of the 36-bit sample count", () => {
    const copy = flac.slice(0, 64);
    copy[21] = (copy[21]! & 0xf0) | 0x01; // + 2^32 samples at 16 kHz
    expect(flacDurationMs(copy)).toBe(Math.round(((2 ** 32 + 46949) * 1000) / 16000));
  });

  it("rejects a stream without STREAMINFO as invalid_audio", () => {
    const broken = bytes(ascii("fLaC"), [0x84, 0, 0, 34], new Uint8Array(34)); // block type 4 (comment) first
    expect(() => flacDurationMs(broken)).toThrow(AudioError);
    expect(() => flacDurationMs(ascii("fLaC"))).toThrow(/STREAMINFO/);
  });
});

describe("oggDurationMs", () => {
  it("reads the Vorbis fixture's length from its last granule position", () => {
    expect(oggDurationMs(ogg)).toBe(PROMPT_MS);
  });

  it("counts Opus granules at 48 kHz minus the encoder pre-skip", () => {
    const head = bytes(ascii("OpusHead"), [1, 1], u16le(312), u32le(16000), [0, 0, 0]);
    const stream = bytes(
      oggPage(9, [0, 0], head, 2),
      oggPage(9, [48000, 0], new Uint8Array(30)),
      oggPage(5, [999999, 0], new Uint8Array(30)), // another logical stream: not ours
      oggPage(9, [0xffffffff, 0xffffffff], new Uint8Array(30)), // no packet ends here
    );
    expect(oggDurationMs(stream)).toBe(Math.round(((48000 - 312) * 1000) / 48000));
  });

  it("reports null for codecs it does not know and for garbage", () => {
    expect(oggDurationMs(oggPage(1, [0, 0], ascii("Speex   0000000000000000000000000000000000000"), 2))).toBeNull();
    expect(oggDurationMs(ascii("OggS but not really"))).toBeNull();
  });
});
