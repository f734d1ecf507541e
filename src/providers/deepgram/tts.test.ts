import { describe, expect, it } from "vitest";
import ogg from "../../../test/fixtures/audio/balance-16k.ogg";
import { fakeFetch } from "../../../test/helpers/outbound";
import { samplesToPcm16 } from "../../audio/pcm";
import { ProviderError } from "../errors";
import type { TtsRequest } from "../types";
import { DeepgramTextToSpeech } from "./tts";
import { KEY, settings } from "./test-support";

const PCM = Int16Array.from([0, 1200, -1200, 32767, -32768, 7]);
// Three MPEG-2 Layer III frames (header FF F3 60 C4: 48 kbit/s at 22.05 kHz, what Aura's mp3 is; 156 bytes each).
const FRAME = [0xff, 0xf3, 0x60, 0xc4, ...new Array<number>(152).fill(0)];
const MP3 = Uint8Array.from([...FRAME, ...FRAME, ...FRAME]);

const audio = (bytes: Uint8Array, contentType: string) =>
  new Response(bytes, { status: 200, headers: { "Content-Type": contentType } });

async function synth(
  req: Partial<TtsRequest>,
  answer: Response = audio(samplesToPcm16(PCM, true), "audio/l16"),
  overrides = {},
) {
  const { fetcher, requests } = fakeFetch(answer);
  const result = await new DeepgramTextToSpeech(settings(overrides), { fetcher }).synthesize({
    text: "Your balance is 100 dollars.",
    language: "en-US",
    sampleRate: 16000,
    ...req,
  });
  return { result, request: requests[0]! };
}

describe("deepgram tts: the request on the wire", () => {
  it("POSTs JSON {text} to /v1/speak with model, linear16, the rate and container=none", async () => {
    const { request, result } = await synth({});
    expect(request.method).toBe("POST");
    expect(request.url.origin + request.url.pathname).toBe("https://api.deepgram.com/v1/speak");
    expect([...request.url.searchParams]).toEqual([
      ["model", "aura-2-thalia-en"],
      ["encoding", "linear16"],
      ["sample_rate", "16000"],
      ["container", "none"],
    ]);
    expect(request.headers.get("Authorization")).toBe(`Token ${KEY}`);
    expect(request.headers.get("Content-Type")).toBe("application/json");
    expect(request.json()).toEqual({ text: "Your balance is 100 dollars." });
    expect(result).toEqual({ kind: "pcm", samples: PCM, sampleRate: 16000 });
  });

  it.each([
    [8000, "8000", 8000],
    [24000, "24000", 24000],
    [22050, "24000", 24000], // linear16 has no 22050: the REST default 24 kHz, resampled by the caller
  ])("asks for PCM at %i Hz with sample_rate=%s and reports %i Hz", async (rate, param, reported) => {
    const { request, result } = await synth({ sampleRate: rate, encoding: "pcm" });
    expect(request.url.searchParams.get("sample_rate")).toBe(param);
    expect(result).toMatchObject({ kind: "pcm", sampleRate: reported });
  });

  it("uses the request's voice as the Aura model, on the EU endpoint when configured", async () => {
    const { request } = await synth({ voice: "aura-2-zeus-en" }, undefined, { region: "eu" });
    expect(request.url.host).toBe("api.eu.deepgram.com");
    expect(request.url.searchParams.get("model")).toBe("aura-2-zeus-en");
  });

  it("asks for mp3 with encoding=mp3 only (rate fixed at 22050) and returns it encoded", async () => {
    const { request, result } = await synth({ encoding: "mp3" }, audio(MP3, "audio/mpeg"));
    expect([...request.url.searchParams]).toEqual([
      ["model", "aura-2-thalia-en"],
      ["encoding", "mp3"],
    ]);
    expect(result).toEqual({ kind: "encoded", format: "mp3", mediaType: "audio/mpeg", bytes: MP3 });
  });

  it("asks for ogg with encoding=opus&container=ogg and returns it encoded", async () => {
    const { request, result } = await synth({ encoding: "ogg" }, audio(ogg, "audio/ogg"));
    expect([...request.url.searchParams]).toEqual([
      ["model", "aura-2-thalia-en"],
      ["encoding", "opus"],
      ["container", "ogg"],
    ]);
    expect(result).toEqual({ kind: "encoded", format: "ogg", mediaType: "audio/ogg;codecs=opus", bytes: ogg });
  });

  it("sends hostile text verbatim inside JSON (no markup to escape)", async () => {
    const text = 'Tom & Jerry </speak> "quoted" \u2013 ok';
    const { request } = await synth({ text });
    expect(request.json()).toEqual({ text });
  });
});

describe("deepgram tts: refusals and unusable answers", () => {
  it.each(["", " \n "])("refuses blank text %j as permanent without calling Deepgram", async (text) => {
    const { fetcher, requests } = fakeFetch(audio(samplesToPcm16(PCM, true), "audio/l16"));
    const err = await new DeepgramTextToSpeech(settings(), { fetcher })
      .synthesize({ text, language: "en-US", sampleRate: 16000 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).kind).toBe("permanent");
    expect(requests).toHaveLength(0);
  });

  it.each([
    ["an empty body", { encoding: "pcm" as const }, new Response(new Uint8Array(0), { status: 200 })],
    [
      "a JSON body",
      { encoding: "pcm" as const },
      new Response('{"err_msg":"x"}', { status: 200, headers: { "Content-Type": "application/json" } }),
    ],
    ["an odd number of PCM bytes", { encoding: "pcm" as const }, audio(new Uint8Array(3), "audio/l16")],
    ["Ogg where mp3 was asked", { encoding: "mp3" as const }, audio(ogg, "audio/mpeg")],
    ["mp3 where ogg was asked", { encoding: "ogg" as const }, audio(MP3, "audio/ogg")],
  ])("treats %s as invalid_response", async (_what, req, answer) => {
    const err = await synth(req, answer).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).kind).toBe("invalid_response");
  });
});
