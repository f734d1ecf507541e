import { describe, expect, it } from "vitest";
import ogg from "../../../test/fixtures/audio/balance-16k.ogg";
import { AudioError } from "../../audio/errors";
import { encodeWav } from "../../audio/wav";
import { ProviderError } from "../errors";
import type { SttInput } from "../types";
import { WorkersAiSpeechToText } from "./stt";
import { UNSCORED_CONFIDENCE } from "./transcription";
import { fakeAi, fromBase64, MP3_BYTES, settingsWith, streamBytes } from "./test-support";

const samples = Int16Array.from({ length: 1600 }, (_, i) => Math.round(8000 * Math.sin(i / 5)));
const pcm: SttInput = { kind: "pcm", samples, sampleRate: 16000, language: "en-US" };
const wav = encodeWav(samples, 16000);

// Output shapes from the models' pages (https://developers.cloudflare.com/workers-ai/models/...).
const TURBO_OUTPUT = {
  transcription_info: { language: "en", language_probability: 0.98, duration: 3.0, duration_after_vad: 3.0 },
  text: " Your balance is one hundred dollars.",
  word_count: 6,
  segments: [
    {
      start: 0,
      end: 1,
      text: " Your balance",
      temperature: 0,
      avg_logprob: -0.1,
      compression_ratio: 0.9,
      no_speech_prob: 0.01,
      words: [
        { word: " Your", start: 0, end: 0.4 },
        { word: " balance", start: 0.4, end: 1 },
      ],
    },
    {
      start: 1,
      end: 3,
      text: " is one hundred dollars.",
      temperature: 0,
      avg_logprob: -0.4,
      compression_ratio: 0.9,
      no_speech_prob: 0.01,
      words: [{ word: " is", start: 1, end: 1.2 }],
    },
  ],
  vtt: "WEBVTT\n\n00:00.000 --> 00:03.000\nYour balance is one hundred dollars.\n",
};
const WHISPER_OUTPUT = {
  text: "Your balance",
  word_count: 2,
  words: [
    { word: "Your", start: 0, end: 0.4 },
    { word: "balance", start: 0.4, end: 1.05 },
  ],
  vtt: "WEBVTT\n",
};
const NOVA_OUTPUT = {
  results: {
    channels: [
      {
        alternatives: [
          {
            transcript: "Your balance is one hundred dollars.",
            confidence: 0.97,
            words: [
              { word: "your", start: 0.08, end: 0.32, confidence: 0.99 },
              { word: "balance", start: 0.32, end: 0.8, confidence: 0.95 },
            ],
          },
        ],
      },
    ],
  },
};

const stt = (ai: ReturnType<typeof fakeAi>["ai"], model?: string) =>
  new WorkersAiSpeechToText(settingsWith(ai, model ? { WORKERS_AI_STT_MODEL: model } : {}));

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error("expected a failure");
    },
    (e: unknown) => e,
  );
}

describe("Workers AI STT: whisper-large-v3-turbo (default)", () => {
  it("runs the model with the WAV's base64 and an ISO 639-1 language, and the timeout signal", async () => {
    const { ai, runs } = fakeAi(TURBO_OUTPUT);
    const engine = stt(ai);
    expect(engine.region).toBe("global");
    expect(engine.containers).toEqual(["mp3"]);
    await engine.transcribe(pcm);

    expect(runs).toHaveLength(1);
    expect(runs[0]!.model).toBe("@cf/openai/whisper-large-v3-turbo");
    expect(Object.keys(runs[0]!.inputs).sort()).toEqual(["audio", "language"]);
    expect(runs[0]!.inputs.language).toBe("en");
    expect(fromBase64(runs[0]!.inputs.audio as string)).toEqual(wav);
    expect(runs[0]!.options?.signal).toBeInstanceOf(AbortSignal);
  });

  it("passes mp3 through untouched and leaves out a language with no ISO 639-1 code", async () => {
    const { ai, runs } = fakeAi(TURBO_OUTPUT);
    await stt(ai).transcribe({
      kind: "container",
      container: "mp3",
      mediaType: "audio/mpeg",
      bytes: MP3_BYTES,
      language: "yue-HK",
    });
    expect(runs[0]!.inputs).toEqual({ audio: btoa(String.fromCharCode(...MP3_BYTES)) });
  });

  it("refuses a container it is not documented to take, before running the model", async () => {
    const { ai, runs } = fakeAi(TURBO_OUTPUT);
    const err = await failure(
      stt(ai).transcribe({ kind: "container", container: "ogg", mediaType: "audio/ogg", bytes: ogg, language: "en" }),
    );
    expect(err).toBeInstanceOf(AudioError);
    expect((err as AudioError).code).toBe("unsupported_media_type");
    expect((err as AudioError).message).toContain("audio/ogg");
    expect(runs).toHaveLength(0);
  });

  it("maps text, duration-weighted confidence from avg_logprob, and words scored by their segment", async () => {
    const { ai } = fakeAi(TURBO_OUTPUT);
    const r = await stt(ai).transcribe(pcm);
    expect(r.text).toBe("Your balance is one hundred dollars.");
    expect(r.source).toBe("speech");
    expect(r.confidence).toBeCloseTo(Math.exp((-0.1 * 1 + -0.4 * 2) / 3), 12);
    expect(r.words).toEqual([
      { word: "Your", startMs: 0, endMs: 400, confidence: Math.exp(-0.1) },
      { word: "balance", startMs: 400, endMs: 1000, confidence: Math.exp(-0.1) },
      { word: "is", startMs: 1000, endMs: 1200, confidence: Math.exp(-0.4) },
    ]);
  });

  it("reports an empty transcript with confidence 0 and the documented default when unscored", async () => {
    const { ai } = fakeAi((run: { inputs: Record<string, unknown> }) =>
      run.inputs.language === "en" ? { text: "" } : { text: "hola", segments: [{ start: 0, end: 1 }] },
    );
    expect(await stt(ai).transcribe(pcm)).toEqual({ text: "", confidence: 0, source: "speech" });
    expect(await stt(ai).transcribe({ ...pcm, language: "es-ES" })).toEqual({
      text: "hola",
      confidence: UNSCORED_CONFIDENCE,
      source: "speech",
    });
  });
});

describe("Workers AI STT: @cf/openai/whisper", () => {
  it("sends the WAV as an array of byte values, with no language input", async () => {
    const { ai, runs } = fakeAi(WHISPER_OUTPUT);
    await stt(ai, "@cf/openai/whisper").transcribe(pcm);
    expect(runs[0]!.model).toBe("@cf/openai/whisper");
    expect(runs[0]!.inputs).toEqual({ audio: Array.from(wav) });
  });

  it("maps words to milliseconds with the documented default confidence", async () => {
    const { ai } = fakeAi(WHISPER_OUTPUT);
    expect(await stt(ai, "@cf/openai/whisper").transcribe(pcm)).toEqual({
      text: "Your balance",
      confidence: UNSCORED_CONFIDENCE,
      source: "speech",
      words: [
        { word: "Your", startMs: 0, endMs: 400, confidence: UNSCORED_CONFIDENCE },
        { word: "balance", startMs: 400, endMs: 1050, confidence: UNSCORED_CONFIDENCE },
      ],
    });
  });
});

describe("Workers AI STT: @cf/deepgram/nova-3", () => {
  it("sends {body: stream, contentType} with a Nova-3 language code and punctuation", async () => {
    const { ai, runs } = fakeAi(NOVA_OUTPUT);
    const engine = stt(ai, "@cf/deepgram/nova-3");
    expect(engine.containers).toEqual(["ogg", "webm", "mp3", "flac"]);
    await engine.transcribe(pcm);
    const inputs = runs[0]!.inputs as {
      audio: { body: unknown; contentType: string };
      language: string;
      punctuate: boolean;
    };
    expect(runs[0]!.model).toBe("@cf/deepgram/nova-3");
    expect(Object.keys(inputs).sort()).toEqual(["audio", "language", "punctuate"]);
    expect(inputs.audio.contentType).toBe("audio/wav");
    expect(await streamBytes(inputs.audio.body)).toEqual(wav);
    expect(inputs.language).toBe("en-US");
    expect(inputs.punctuate).toBe(true);
  });

  it("passes Ogg through with its media type, and maps a regional tag to its listed language", async () => {
    const { ai, runs } = fakeAi(NOVA_OUTPUT);
    await stt(ai, "@cf/deepgram/nova-3").transcribe({
      kind: "container",
      container: "ogg",
      mediaType: "audio/ogg; codecs=opus",
      bytes: ogg,
      language: "de-AT",
    });
    const inputs = runs[0]!.inputs as { audio: { body: unknown; contentType: string }; language: string };
    expect(inputs.audio.contentType).toBe("audio/ogg");
    expect(await streamBytes(inputs.audio.body)).toEqual(ogg);
    expect(inputs.language).toBe("de");
  });

  it("refuses a language Nova-3 does not transcribe, before running it", async () => {
    const { ai, runs } = fakeAi(NOVA_OUTPUT);
    const err = await failure(stt(ai, "@cf/deepgram/nova-3").transcribe({ ...pcm, language: "ko-KR" }));
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).kind).toBe("permanent");
    expect(runs).toHaveLength(0);
  });

  it("maps Deepgram's transcript, confidence and per-word confidence", async () => {
    const { ai } = fakeAi(NOVA_OUTPUT);
    expect(await stt(ai, "@cf/deepgram/nova-3").transcribe(pcm)).toEqual({
      text: "Your balance is one hundred dollars.",
      confidence: 0.97,
      source: "speech",
      words: [
        { word: "your", startMs: 80, endMs: 320, confidence: 0.99 },
        { word: "balance", startMs: 320, endMs: 800, confidence: 0.95 },
      ],
    });
  });
});

describe("Workers AI STT: unexpected answers", () => {
  it.each([
    ["@cf/openai/whisper-large-v3-turbo", { transcript: "x" }],
    ["@cf/openai/whisper", "plain text"],
    ["@cf/deepgram/nova-3", { results: { channels: [] } }],
    ["@cf/deepgram/nova-3", { text: "whisper-shaped" }],
  ])("%s answering %j is invalid_response", async (model, output) => {
    const { ai } = fakeAi(output);
    const err = await failure(stt(ai, model).transcribe(pcm));
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).kind).toBe("invalid_response");
    // The provider is the provider's name (what breakers and metrics group by); the model is in the message.
    expect((err as ProviderError).provider).toBe("workers-ai");
    expect((err as ProviderError).message).toContain(`workers-ai: ${model} answer does not have the documented shape`);
  });
});
