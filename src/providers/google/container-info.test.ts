import { describe, expect, it } from "vitest";
import flac from "../../../test/fixtures/audio/balance-16k.flac";
import vorbis from "../../../test/fixtures/audio/balance-16k.ogg";
import { flacInfo, oggInfo, webmInfo } from "./container-info";
import { oggOpus, webmAudio } from "./test-support";

describe("container headers Google's RecognitionConfig needs", () => {
  it("tells Ogg Opus from Ogg Vorbis by the first packet, and reads OpusHead's channels and input rate", () => {
    expect(oggInfo(vorbis)).toEqual({ codec: "vorbis" });
    expect(oggInfo(oggOpus({ channels: 2, inputRate: 24000 }))).toEqual({
      codec: "opus",
      channels: 2,
      inputRate: 24000,
    });
    expect(oggInfo(new TextEncoder().encode("not an ogg stream at all, just text"))).toEqual({ codec: "unknown" });
  });

  it("reads FLAC STREAMINFO: the fixture is 16 kHz mono 16-bit", () => {
    expect(flacInfo(flac, 0)).toEqual({ sampleRate: 16000, channels: 1, bitsPerSample: 16 });
    expect(flacInfo(new Uint8Array(10), 0)).toBeNull();
  });

  it("walks a MediaRecorder-style WebM (unknown-size Segment) to the first audio track", () => {
    expect(webmInfo(webmAudio({ inputRate: 16000, channels: 1, durationMs: 2500 }))).toEqual({
      codecId: "A_OPUS",
      channels: 1,
      opusInputRate: 16000,
      samplingFrequency: 48000,
      durationMs: 2500,
    });
    expect(webmInfo(webmAudio({ codecId: "A_VORBIS" })).codecId).toBe("A_VORBIS");
  });

  it("gives up quietly on truncated or garbage WebM instead of throwing", () => {
    const full = webmAudio();
    expect(() => webmInfo(full.subarray(0, 30))).not.toThrow();
    expect(webmInfo(new Uint8Array([0x1a, 0x45, 0xdf, 0xa3, 0, 0, 0]))).toEqual({});
  });
});
