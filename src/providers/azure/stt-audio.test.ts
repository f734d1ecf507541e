import { describe, expect, it } from "vitest";
import flac from "../../../test/fixtures/audio/balance-16k.flac";
import vorbis from "../../../test/fixtures/audio/balance-16k.ogg";
import { fakeFetch, jsonResponse } from "../../../test/helpers/outbound";
import { AudioError } from "../../audio/errors";
import type { SttInput } from "../types";
import { AzureSpeechToText } from "./stt";
import { azureAudioBody, oggCodec } from "./stt-audio";
import { oggOpus, settings } from "./test-support";

async function refusal(input: SttInput): Promise<AudioError> {
  const { fetcher, requests } = fakeFetch(jsonResponse({ RecognitionStatus: "Success", DisplayText: "x" }));
  const err = await new AzureSpeechToText(settings(), { fetcher }).transcribe(input).catch((e: unknown) => e);
  expect(requests).toHaveLength(0); // refused before calling Azure
  expect(err).toBeInstanceOf(AudioError);
  return err as AudioError;
}

const container = (c: "ogg" | "webm" | "mp3" | "flac", bytes: Uint8Array, mediaType = `audio/${c}`): SttInput => ({
  kind: "container",
  container: c,
  mediaType,
  bytes,
  language: "en-US",
});

describe("azure stt: audio Azure cannot take is refused before the call", () => {
  it("reads the codec of an Ogg stream from its first packet", () => {
    expect(oggCodec(vorbis)).toEqual({ name: "vorbis", channels: 1 });
    expect(oggCodec(oggOpus(1, 2))).toEqual({ name: "opus", channels: 2 });
    expect(oggCodec(new Uint8Array([1, 2, 3]))).toEqual({ name: "unknown", channels: 0 });
  });

  it("refuses Ogg Vorbis with 415 unsupported_media_type naming Opus", async () => {
    const err = await refusal(container("ogg", vorbis));
    expect(err.code).toBe("unsupported_media_type");
    expect(err.message).toMatch(/Vorbis, not Opus/);
    expect(err.message).toMatch(/Ogg Opus/);
  });

  it.each([
    ["flac", flac],
    ["webm", new Uint8Array([0x1a, 0x45, 0xdf, 0xa3, 0, 0, 0, 0])],
    ["mp3", new Uint8Array([0x49, 0x44, 0x33, 3, 0, 0, 0, 0, 0, 0])],
  ] as const)("refuses %s, saying what Azure takes", async (kind, bytes) => {
    const err = await refusal(container(kind, bytes));
    expect(err.code).toBe("unsupported_media_type");
    expect(err.message).toMatch(/WAV \(16-bit PCM\).*Ogg Opus/);
  });

  it("refuses stereo Ogg Opus (the API documents mono)", async () => {
    const err = await refusal(container("ogg", oggOpus(2, 2)));
    expect(err.code).toBe("unsupported_media_type");
    expect(err.message).toMatch(/2 channels.*mono/);
  });

  it("refuses PCM over 60 s as payload_too_large, and takes exactly 60 s", async () => {
    const err = await refusal({
      kind: "pcm",
      samples: new Int16Array(8000 * 60 + 1),
      sampleRate: 8000,
      language: "en-US",
    });
    expect(err.code).toBe("payload_too_large");
    expect(err.message).toMatch(/lasts 60\.001 s.*at most 60 s/);
    expect(
      azureAudioBody({ kind: "pcm", samples: new Int16Array(8000 * 60), sampleRate: 8000, language: "en-US" }).body
        .length,
    ).toBe(44 + 16000 * 60 * 2);
  });

  it("refuses Ogg Opus over 60 s as payload_too_large", async () => {
    const err = await refusal(container("ogg", oggOpus(61)));
    expect(err.code).toBe("payload_too_large");
    expect(err.message).toMatch(/61 s/);
  });
});
