import { describe, expect, it } from "vitest";
import flac from "../../test/fixtures/audio/balance-16k.flac";
import ogg from "../../test/fixtures/audio/balance-16k.ogg";
import wav from "../../test/fixtures/audio/balance-16k.wav";
import ulaw from "../../test/fixtures/audio/balance-8k.ulaw";
import { sniffContainer } from "./sniff";
import { ascii, bytes } from "./test-signals";

/** Two MPEG-1 Layer III frames, 128 kbit/s at 44.1 kHz: 417 bytes each. */
function mp3Frames(secondHeader = [0xff, 0xfb, 0x90, 0x00]): Uint8Array {
  return bytes([0xff, 0xfb, 0x90, 0x00], new Uint8Array(413), secondHeader, new Uint8Array(20));
}

describe("sniffContainer", () => {
  it("recognises the WAV, Ogg and FLAC fixtures", () => {
    expect(sniffContainer(wav)).toBe("wav");
    expect(sniffContainer(ogg)).toBe("ogg");
    expect(sniffContainer(flac)).toBe("flac");
  });

  it("recognises WebM/Matroska by its EBML magic", () => {
    expect(sniffContainer(bytes([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81]))).toBe("webm");
  });

  it("recognises MP3 by an ID3v2 tag or by two consecutive MPEG frame headers", () => {
    expect(sniffContainer(bytes(ascii("ID3"), [4, 0, 0, 0, 0, 0, 10], new Uint8Array(10)))).toBe("mp3");
    expect(sniffContainer(mp3Frames())).toBe("mp3");
    // MPEG-2 Layer III, 64 kbit/s at 22.05 kHz: 208-byte frames.
    expect(
      sniffContainer(bytes([0xff, 0xf3, 0x80, 0xc4], new Uint8Array(204), [0xff, 0xf3, 0x80, 0xc4], new Uint8Array(8))),
    ).toBe("mp3");
  });

  it("accepts a lone frame header when the body is too short to hold a second frame", () => {
    expect(sniffContainer(bytes([0xff, 0xfb, 0x90, 0x00], new Uint8Array(100)))).toBe("mp3");
  });

  it("does not mistake a frame sync without a following frame for MP3", () => {
    expect(sniffContainer(mp3Frames([0x12, 0x34, 0x56, 0x78]))).toBe("unknown");
  });

  it("does not mistake AAC ADTS, reserved header fields or mu-law silence (0xFF bytes) for MP3", () => {
    expect(sniffContainer(bytes([0xff, 0xf1, 0x50, 0x80], new Uint8Array(50)))).toBe("unknown"); // ADTS: layer bits 00
    expect(sniffContainer(bytes([0xff, 0xfb, 0xf0, 0x00], new Uint8Array(50)))).toBe("unknown"); // bit-rate index 15
    expect(sniffContainer(bytes([0xff, 0xfb, 0x9c, 0x00], new Uint8Array(50)))).toBe("unknown"); // sample-rate index 3
    expect(sniffContainer(new Uint8Array(800).fill(0xff))).toBe("unknown");
  });

  it("looks past an ID3v2 tag that prefixes a FLAC stream", () => {
    const tagged = bytes(ascii("ID3"), [4, 0, 0, 0, 0, 0, 5], new Uint8Array(5), flac.subarray(0, 64));
    expect(sniffContainer(tagged)).toBe("flac");
  });

  it("reports headerless audio, other RIFF types, text and empty bodies as unknown", () => {
    expect(sniffContainer(ulaw)).toBe("unknown");
    expect(sniffContainer(bytes(ascii("RIFF"), [4, 0, 0, 0], ascii("AVI LIST")))).toBe("unknown");
    expect(sniffContainer(ascii('{"audio":"UklGRg=="}'))).toBe("unknown");
    expect(sniffContainer(new Uint8Array(0))).toBe("unknown");
    expect(sniffContainer(ascii("Ogg"))).toBe("unknown");
  });
});
