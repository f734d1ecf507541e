import { describe, expect, it } from "vitest";
import ogg from "../../../test/fixtures/audio/balance-16k.ogg";
import { AudioError } from "../../audio/errors";
import { encodeWav } from "../../audio/wav";
import { fakeFetch, jsonResponse } from "../../../test/helpers/outbound";
import { ProviderError } from "../errors";
import type { SttInput } from "../types";
import { OpenAiSpeechToText } from "./stt";
import { UNSCORED_CONFIDENCE } from "./transcription";
import { fileBytes, formOf, settingsFrom, TEST_KEY } from "./test-support";

const samples = Int16Array.from({ length: 1600 }, (_, i) => Math.round(8000 * Math.sin(i / 5)));
const pcm: SttInput = { kind: "pcm", samples, sampleRate: 16000, language: "en-US" };

// Shaped like the examples at https://platform.openai.com/docs/api-reference/audio/createTranscription.
const JSON_ANSWER = {
  text: " Your balance is one hundred dollars.",
  logprobs: [
    { token: "Your", logprob: -0.01, bytes: [89, 111, 117, 114] },
    { token: " balance", logprob: -0.2, bytes: [] },
    { token: " is", logprob: -0.05, bytes: [] },
  ],
  usage: { type: "tokens", input_tokens: 14, output_tokens: 7, total_tokens: 21 },
};
const VERBOSE_ANSWER = {
  task: "transcribe",
  language: "english",
  duration: 2.4,
  text: "Your balance is one hundred dollars.",
  words: [
    { word: "Your", start: 0.0, end: 0.32 },
    { word: "balance", start: 0.32, end: 0.8 },
  ],
  segments: [
    {
      id: 0,
      seek: 0,
      start: 0.0,
      end: 1.0,
      text: " Your balance",
      tokens: [50364],
      temperature: 0,
      avg_logprob: -0.1,
      compression_ratio: 1.2,
      no_speech_prob: 0.01,
    },
    {
      id: 1,
      seek: 0,
      start: 1.0,
      end: 4.0,
      text: " is one hundred dollars.",
      tokens: [50414],
      temperature: 0,
      avg_logprob: -0.3,
      compression_ratio: 1.2,
      no_speech_prob: 0.01,
    },
  ],
};

describe("OpenAI STT: the request", () => {
  it(
    "posts PCM as audio.wav with model, ISO-639-1 " + "language, json and logprobs to /v1/audio/transcriptions",
    async () => {
      const { fetcher, requests } = fakeFetch(jsonResponse(JSON_ANSWER));
      await new OpenAiSpeechToText(settingsFrom(), { fetcher }).transcribe(pcm);

      expect(requests).toHaveLength(1);
      const req = requests[0]!;
      expect(req.method).toBe("POST");
      expect(req.url.href).toBe("https://api.openai.com/v1/audio/transcriptions");
      expect(req.headers.get("Authorization")).toBe(`Bearer ${TEST_KEY}`);
      expect(req.headers.get("Content-Type")).toMatch(/^multipart\/form-data; boundary=/);
      const form = await formOf(req);
      const file = form.get("file") as File;
      expect(file.name).toBe("audio.wav");
      expect(file.type).toBe("audio/wav");
      expect(await fileBytes(file)).toEqual(encodeWav(samples, 16000));
      expect(form.get("model")).toBe("gpt-4o-mini-transcribe");
      expect(form.get("language")).toBe("en");
      expect(form.get("response_format")).toBe("json");
      expect(form.getAll("include[]")).toEqual(["logprobs"]);
      expect(form.has("timestamp_granularities[]")).toBe(false);
      expect([...form.keys()].sort()).toEqual(["file", "include[]", "language", "model", "response_format"]);
    },
  );

  it("passes a container through with its extension and the client's bytes", async () => {
    const { fetcher, requests } = fakeFetch(jsonResponse({ text: "hola" }));
    const stt = new OpenAiSpeechToText(settingsFrom(), { fetcher });
    expect(stt.containers).toEqual(["ogg", "webm", "mp3", "flac"]);
    await stt.transcribe({
      kind: "container",
      container: "ogg",
      mediaType: "audio/ogg; codecs=opus",
      bytes: ogg,
      language: "pt-BR",
    });
    const form = await formOf(requests[0]!);
    const file = form.get("file") as File;
    expect(file.name).toBe("audio.ogg");
    expect(await fileBytes(file)).toEqual(ogg);
    expect(form.get("language")).toBe("pt");
  });

  it.each([
    ["webm", "audio.webm"],
    ["mp3", "audio.mp3"],
    ["flac", "audio.flac"],
  ] as const)("names a %s upload %s", async (container, filename) => {
    const { fetcher, requests } = fakeFetch(jsonResponse({ text: "x" }));
    await new OpenAiSpeechToText(settingsFrom(), { fetcher }).transcribe({
      kind: "container",
      container,
      mediaType: "x",
      bytes: new Uint8Array([1, 2, 3]),
      language: "en",
    });
    expect(((await formOf(requests[0]!)).get("file") as File).name).toBe(filename);
  });

  it("leaves the language out when the tag has no ISO-639-1 form, so the model detects it", async () => {
    const { fetcher, requests } = fakeFetch(jsonResponse({ text: "x" }));
    await new OpenAiSpeechToText(settingsFrom(), { fetcher }).transcribe({ ...pcm, language: "yue-HK" });
    expect((await formOf(requests[0]!)).has("language")).toBe(false);
  });

  it("asks whisper-1 for verbose_json with word and segment timestamps, without include[]", async () => {
    const { fetcher, requests } = fakeFetch(jsonResponse(VERBOSE_ANSWER));
    await new OpenAiSpeechToText(settingsFrom({ OPENAI_STT_MODEL: "whisper-1" }), { fetcher }).transcribe(pcm);
    const form = await formOf(requests[0]!);
    expect(form.get("model")).toBe("whisper-1");
    expect(form.get("response_format")).toBe("verbose_json");
    expect(form.getAll("timestamp_granularities[]")).toEqual(["word", "segment"]);
    expect(form.has("include[]")).toBe(false);
  });

  it("talks to a self-hosted server without a key: its base URL, no Authorization, plain json", async () => {
    const settings = settingsFrom({
      OPENAI_API_KEY: "",
      OPENAI_BASE_URL: "http://localhost:8000/v1",
      OPENAI_STT_MODEL: "Systran/faster-whisper-small",
    });
    const { fetcher, requests } = fakeFetch(jsonResponse({ text: "hello" }));
    const stt = new OpenAiSpeechToText(settings, { fetcher });
    expect(stt.region).toBe("localhost:8000");
    await stt.transcribe(pcm);
    expect(requests[0]!.url.href).toBe("http://localhost:8000/v1/audio/transcriptions");
    expect(requests[0]!.headers.has("Authorization")).toBe(false);
    const form = await formOf(requests[0]!);
    expect(form.get("model")).toBe("Systran/faster-whisper-small");
    expect(form.get("response_format")).toBe("json");
    expect(form.has("include[]")).toBe(false);
  });

  it("refuses audio over 25 MB before calling OpenAI", async () => {
    const { fetcher, requests } = fakeFetch(jsonResponse({ text: "x" }));
    const big: SttInput = {
      kind: "container",
      container: "flac",
      mediaType: "audio/flac",
      bytes: new Uint8Array(25_000_001),
      language: "en",
    };
    const err = await new OpenAiSpeechToText(settingsFrom(), { fetcher }).transcribe(big).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AudioError);
    expect((err as AudioError).code).toBe("payload_too_large");
    expect((err as AudioError).message).toContain("25 MB");
    expect(requests).toHaveLength(0);
  });
});

describe("OpenAI STT: the answer", () => {
  it("maps json with logprobs: trimmed text, confidence = exp(mean token logprob), no words", async () => {
    const { fetcher } = fakeFetch(jsonResponse(JSON_ANSWER));
    const r = await new OpenAiSpeechToText(settingsFrom(), { fetcher }).transcribe(pcm);
    expect(r).toEqual({
      text: "Your balance is one hundred dollars.",
      confidence: Math.exp((-0.01 - 0.2 - 0.05) / 3),
      source: "speech",
    });
  });

  it("maps verbose_json: words in ms, confidence from duration-weighted segment avg_logprob", async () => {
    const { fetcher } = fakeFetch(jsonResponse(VERBOSE_ANSWER));
    const r = await new OpenAiSpeechToText(settingsFrom({ OPENAI_STT_MODEL: "whisper-1" }), { fetcher }).transcribe(
      pcm,
    );
    const confidence = Math.exp((-0.1 * 1 + -0.3 * 3) / 4);
    expect(r.text).toBe("Your balance is one hundred dollars.");
    expect(r.confidence).toBeCloseTo(confidence, 12);
    expect(r.words).toEqual([
      { word: "Your", startMs: 0, endMs: 320, confidence: r.confidence },
      { word: "balance", startMs: 320, endMs: 800, confidence: r.confidence },
    ]);
  });

  it("reports the documented default when no score is given, and 0 for an empty transcript", async () => {
    const { fetcher } = fakeFetch([
      jsonResponse({ text: "hello", words: null, segments: null }),
      jsonResponse({ text: "  " }),
    ]);
    const stt = new OpenAiSpeechToText(settingsFrom({ OPENAI_STT_MODEL: "gpt-4o-transcribe" }), { fetcher });
    expect(await stt.transcribe(pcm)).toEqual({ text: "hello", confidence: UNSCORED_CONFIDENCE, source: "speech" });
    expect(await stt.transcribe(pcm)).toEqual({ text: "", confidence: 0, source: "speech" });
  });

  it("treats a 200 without `text`, or with a body that is not JSON, as invalid_response", async () => {
    const { fetcher } = fakeFetch([
      jsonResponse({ transcript: "x" }),
      new Response("<html>gateway</html>", { status: 200 }),
    ]);
    const stt = new OpenAiSpeechToText(settingsFrom(), { fetcher });
    for (let i = 0; i < 2; i++) {
      const err = await stt.transcribe(pcm).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProviderError);
      expect((err as ProviderError).kind).toBe("invalid_response");
    }
  });
});
