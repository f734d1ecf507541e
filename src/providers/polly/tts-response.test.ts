import { describe, expect, it } from "vitest";
import { ProviderError } from "../errors";
import type { EncodedSpeech, PcmSpeech } from "../types";
import { audioResponse, pcmBytes, pollyWith } from "./test-support";

/**
 * SynthesizeSpeech answers with the audio as the body, `Content-Type` naming it (audio/pcm is
 * signed 16-bit mono little-endian; audio/mpeg; audio/ogg) and `x-amzn-RequestCharacters`.
 * https://docs.aws.amazon.com/polly/latest/dg/API_SynthesizeSpeech.html#API_SynthesizeSpeech_ResponseSyntax
 */
const request = { text: "Your balance is one hundred dollars", language: "en-US", sampleRate: 16000 };
const SAMPLES = [0, 1, -1, 32767, -32768, 1234, -4321, 0];
const MP3 = new Uint8Array([0xff, 0xfb, 0x90, 0x64, 0x00, 0x0f, 0xf0, 0x00]);
const OGG = new Uint8Array([0x4f, 0x67, 0x67, 0x53, 0x00, 0x02, 0x00, 0x00, 0x00]);

describe("polly response", () => {
  it("maps audio/pcm to PcmSpeech: little-endian 16-bit samples at the rate asked for", async () => {
    const { tts } = pollyWith(audioResponse(pcmBytes(SAMPLES), "audio/pcm", "35"));
    const result = (await tts.synthesize(request)) as PcmSpeech;
    expect(result.kind).toBe("pcm");
    expect(result.sampleRate).toBe(16000);
    expect([...result.samples]).toStrictEqual(SAMPLES);
  });

  it("answers 8 kHz PCM at 8000 Hz", async () => {
    const { tts } = pollyWith(audioResponse(pcmBytes(SAMPLES), "audio/pcm"));
    const result = (await tts.synthesize({ ...request, sampleRate: 8000 })) as PcmSpeech;
    expect(result.sampleRate).toBe(8000);
    expect(result.samples).toHaveLength(SAMPLES.length);
  });

  it("reads a body that arrives in several chunks, ignoring a dangling odd byte", async () => {
    const bytes = pcmBytes(SAMPLES);
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(bytes.subarray(0, 3));
        c.enqueue(bytes.subarray(3, 11));
        c.enqueue(bytes.subarray(11));
        c.enqueue(new Uint8Array([0x7f]));
        c.close();
      },
    });
    const { tts } = pollyWith(
      () => new Response(body, { headers: { "Content-Type": "audio/pcm", "x-amzn-RequestCharacters": "35" } }),
    );
    const result = (await tts.synthesize(request)) as PcmSpeech;
    expect([...result.samples]).toStrictEqual(SAMPLES);
  });

  it("maps audio/mpeg to EncodedSpeech mp3 with the exact bytes", async () => {
    const { tts } = pollyWith(audioResponse(MP3, "audio/mpeg"));
    const result = (await tts.synthesize({ ...request, encoding: "mp3" })) as EncodedSpeech;
    expect(result).toStrictEqual({ kind: "encoded", format: "mp3", mediaType: "audio/mpeg", bytes: MP3 });
  });

  it("maps audio/ogg (ogg_vorbis) to EncodedSpeech ogg with the exact bytes", async () => {
    const { tts } = pollyWith(audioResponse(OGG, "audio/ogg"));
    const result = (await tts.synthesize({ ...request, encoding: "ogg" })) as EncodedSpeech;
    expect(result).toStrictEqual({ kind: "encoded", format: "ogg", mediaType: "audio/ogg", bytes: OGG });
  });

  it("declares what it produces", () => {
    const { tts } = pollyWith(audioResponse(MP3, "audio/mpeg"));
    expect(tts.encodings).toStrictEqual(["pcm", "mp3", "ogg"]);
  });

  it.each([
    [
      "a JSON body where audio was expected",
      () => new Response('{"not":"audio"', { headers: { "Content-Type": "application/json" } }),
      "pcm",
    ],
    ["mp3 when pcm was asked for", () => audioResponse(MP3, "audio/mpeg"), "pcm"],
    [
      "speech marks when mp3 was asked for",
      () => audioResponse(new TextEncoder().encode('{"time":0}\n'), "application/x-json-stream"),
      "mp3",
    ],
    ["an empty body", () => audioResponse(new Uint8Array(), "audio/pcm"), "pcm"],
    ["a malformed x-amzn-RequestCharacters header", () => audioResponse(pcmBytes(SAMPLES), "audio/pcm", "lots"), "pcm"],
  ] as const)("a 200 with %s is invalid_response", async (_what, make, encoding) => {
    const { tts } = pollyWith(make);
    const err = await tts.synthesize({ ...request, encoding }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ provider: "polly", kind: "invalid_response" });
  });
});
