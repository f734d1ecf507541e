import { describe, expect, it } from "vitest";
import ogg from "../../../test/fixtures/audio/balance-16k.ogg";
import { samplesToPcm16 } from "../../audio/pcm";
import { encodeWav } from "../../audio/wav";
import { fakeFetch, jsonResponse } from "../../../test/helpers/outbound";
import { ProviderError } from "../errors";
import type { TtsRequest } from "../types";
import { OpenAiSpeechSynthesizer } from "./tts";
import { MP3_BYTES, settingsFrom, TEST_KEY } from "./test-support";

const samples = Int16Array.from({ length: 480 }, (_, i) => Math.round(9000 * Math.sin(i / 7)));
const req: TtsRequest = { text: "  Your balance is one hundred dollars.  ", language: "en-US", sampleRate: 8000 };
const audio = (bytes: Uint8Array, type: string) =>
  new Response(bytes, { status: 200, headers: { "Content-Type": type } });

async function failure(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

describe("OpenAI TTS: the request", () => {
  it("posts the documented JSON to /v1/audio/speech and asks for raw pcm by default", async () => {
    const { fetcher, requests } = fakeFetch(audio(samplesToPcm16(samples, true), "audio/pcm"));
    const tts = new OpenAiSpeechSynthesizer(settingsFrom(), { fetcher });
    expect(tts.encodings).toEqual(["pcm", "mp3", "ogg"]);
    expect(tts.region).toBe("api.openai.com");
    await tts.synthesize(req);

    const r = requests[0]!;
    expect(r.method).toBe("POST");
    expect(r.url.href).toBe("https://api.openai.com/v1/audio/speech");
    expect(r.headers.get("Authorization")).toBe(`Bearer ${TEST_KEY}`);
    expect(r.headers.get("Content-Type")).toBe("application/json");
    expect(r.json()).toEqual({
      model: "gpt-4o-mini-tts",
      input: "Your balance is one hundred dollars.",
      voice: "alloy",
      response_format: "pcm",
    });
  });

  it("uses the request's voice and the configured model", async () => {
    const { fetcher, requests } = fakeFetch(audio(MP3_BYTES, "audio/mpeg"));
    await new OpenAiSpeechSynthesizer(settingsFrom({ OPENAI_TTS_MODEL: "tts-1", OPENAI_TTS_VOICE: "nova" }), {
      fetcher,
    }).synthesize({ ...req, voice: "coral", encoding: "mp3" });
    expect(requests[0]!.json()).toMatchObject({ model: "tts-1", voice: "coral", response_format: "mp3" });
  });

  it("asks for opus when the client wants ogg", async () => {
    const { fetcher, requests } = fakeFetch(audio(ogg, "audio/ogg"));
    await new OpenAiSpeechSynthesizer(settingsFrom(), { fetcher }).synthesize({ ...req, encoding: "ogg" });
    expect(requests[0]!.json()).toMatchObject({ response_format: "opus" });
  });

  it("refuses empty text and text over 4096 characters without calling OpenAI", async () => {
    const { fetcher, requests } = fakeFetch(audio(MP3_BYTES, "audio/mpeg"));
    const tts = new OpenAiSpeechSynthesizer(settingsFrom(), { fetcher });
    expect((await failure(tts.synthesize({ ...req, text: " \n\t " }))).kind).toBe("permanent");
    const long = await failure(tts.synthesize({ ...req, text: "a".repeat(4097) }));
    expect(long.kind).toBe("permanent");
    expect(long.message).toContain("4096");
    expect(requests).toHaveLength(0);
  });
});

describe("OpenAI TTS: the answer", () => {
  it("reads raw pcm as 24 kHz little-endian 16-bit samples", async () => {
    const { fetcher } = fakeFetch(audio(samplesToPcm16(samples, true), "audio/pcm"));
    const out = await new OpenAiSpeechSynthesizer(settingsFrom(), { fetcher }).synthesize(req);
    expect(out).toEqual({ kind: "pcm", samples, sampleRate: 24000 });
  });

  it("accepts WAV from a server that ignores response_format=pcm, at the WAV's own rate", async () => {
    const { fetcher } = fakeFetch(audio(encodeWav(samples, 22050), "audio/wav"));
    const out = await new OpenAiSpeechSynthesizer(settingsFrom(), { fetcher }).synthesize(req);
    expect(out).toEqual({ kind: "pcm", samples, sampleRate: 22050 });
  });

  it("returns mp3 and Ogg Opus bytes as they came", async () => {
    const { fetcher } = fakeFetch([audio(MP3_BYTES, "audio/mpeg"), audio(ogg, "audio/ogg")]);
    const tts = new OpenAiSpeechSynthesizer(settingsFrom(), { fetcher });
    expect(await tts.synthesize({ ...req, encoding: "mp3" })).toEqual({
      kind: "encoded",
      format: "mp3",
      mediaType: "audio/mpeg",
      bytes: MP3_BYTES,
    });
    expect(await tts.synthesize({ ...req, encoding: "ogg" })).toEqual({
      kind: "encoded",
      format: "ogg",
      mediaType: "audio/ogg",
      bytes: ogg,
    });
  });

  it.each([
    ["ogg asked, WAV answered", "ogg", () => audio(encodeWav(samples, 24000), "audio/wav")],
    ["mp3 asked, Ogg answered", "mp3", () => audio(ogg, "audio/ogg")],
    ["pcm asked, mp3 answered", "pcm", () => audio(MP3_BYTES, "audio/mpeg")],
    ["a JSON body on 200", "pcm", () => jsonResponse({ detail: "ok" })],
    ["an empty body", "mp3", () => audio(new Uint8Array(0), "audio/mpeg")],
  ] as const)("treats %s as invalid_response", async (_label, encoding, answer) => {
    const { fetcher } = fakeFetch(answer());
    const err = await failure(
      new OpenAiSpeechSynthesizer(settingsFrom(), { fetcher }).synthesize({ ...req, encoding }),
    );
    expect(err.kind).toBe("invalid_response");
  });
});
