import { describe, expect, it } from "vitest";
import ogg from "../../../test/fixtures/audio/balance-16k.ogg";
import { samplesToPcm16 } from "../../audio/pcm";
import { encodeWav } from "../../audio/wav";
import { ProviderError } from "../errors";
import type { TtsEncoding, TtsRequest } from "../types";
import { WorkersAiSpeechSynthesizer } from "./tts";
import { fakeAi, MP3_BYTES, settingsWith, streamOf } from "./test-support";

const samples = Int16Array.from({ length: 400 }, (_, i) => Math.round(9000 * Math.sin(i / 6)));
const req: TtsRequest = { text: "  Your balance is one hundred dollars. ", language: "en-US", sampleRate: 8000 };
const tts = (ai: ReturnType<typeof fakeAi>["ai"], env: Record<string, string> = {}) =>
  new WorkersAiSpeechSynthesizer(settingsWith(ai, env));

async function failure(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

describe("Workers AI TTS: the model call", () => {
  it("asks aura-1 for linear16 in WAV at the requested rate, with no speaker unless one is set", async () => {
    const { ai, runs } = fakeAi(() => streamOf(encodeWav(samples, 8000)));
    const engine = tts(ai);
    expect(engine.encodings).toEqual(["pcm", "mp3", "ogg"]);
    expect(engine.region).toBe("global");
    await engine.synthesize(req);
    expect(runs[0]!.model).toBe("@cf/deepgram/aura-1");
    expect(runs[0]!.inputs).toEqual({
      text: "Your balance is one hundred dollars.",
      encoding: "linear16",
      container: "wav",
      sample_rate: 8000,
    });
    expect(runs[0]!.options?.signal).toBeInstanceOf(AbortSignal);
  });

  it.each([
    [16000, 16000],
    [22050, 24000],
    [24000, 24000],
    [44100, 48000],
    [96000, 48000],
  ])("asks for a linear16 rate Deepgram offers: %i Hz -> %i Hz", async (wanted, sent) => {
    const { ai, runs } = fakeAi(() => streamOf(encodeWav(samples, sent)));
    await tts(ai).synthesize({ ...req, sampleRate: wanted });
    expect(runs[0]!.inputs.sample_rate).toBe(sent);
  });

  it("uses the request's voice, else WORKERS_AI_TTS_VOICE, as `speaker`", async () => {
    const { ai, runs } = fakeAi(() => streamOf(encodeWav(samples, 8000)));
    const engine = tts(ai, { WORKERS_AI_TTS_VOICE: "asteria" });
    await engine.synthesize(req);
    await engine.synthesize({ ...req, voice: " Luna " });
    expect(runs.map((r) => r.inputs.speaker)).toEqual(["asteria", "luna"]);
  });

  it("asks for mp3, and for opus in ogg", async () => {
    const { ai, runs } = fakeAi((run: { inputs: Record<string, unknown> }) =>
      run.inputs.encoding === "mp3" ? MP3_BYTES : ogg.buffer.slice(ogg.byteOffset, ogg.byteOffset + ogg.byteLength),
    );
    const engine = tts(ai, { WORKERS_AI_TTS_MODEL: "@cf/deepgram/aura-2-en" });
    expect(await engine.synthesize({ ...req, encoding: "mp3" })).toEqual({
      kind: "encoded",
      format: "mp3",
      mediaType: "audio/mpeg",
      bytes: MP3_BYTES,
    });
    expect(await engine.synthesize({ ...req, encoding: "ogg" })).toEqual({
      kind: "encoded",
      format: "ogg",
      mediaType: "audio/ogg",
      bytes: ogg,
    });
    expect(runs.map((r) => r.model)).toEqual(["@cf/deepgram/aura-2-en", "@cf/deepgram/aura-2-en"]);
    expect(runs.map((r) => r.inputs)).toEqual([
      { text: "Your balance is one hundred dollars.", encoding: "mp3" },
      { text: "Your balance is one hundred dollars.", encoding: "opus", container: "ogg" },
    ]);
  });

  it("refuses blank text, an unknown speaker, or a language the model does not speak, before running it", async () => {
    const { ai, runs } = fakeAi(() => streamOf(encodeWav(samples, 8000)));
    expect((await failure(tts(ai).synthesize({ ...req, text: " \n " }))).kind).toBe("permanent");
    const voice = await failure(tts(ai).synthesize({ ...req, voice: "alloy" }));
    expect(voice.kind).toBe("permanent");
    expect(voice.message).toContain("angus");
    expect((await failure(tts(ai).synthesize({ ...req, language: "fr-FR" }))).kind).toBe("permanent");
    expect((await failure(tts(ai, { WORKERS_AI_TTS_MODEL: "@cf/deepgram/aura-2-es" }).synthesize(req))).kind).toBe(
      "permanent",
    );
    expect(runs).toHaveLength(0);
  });

  it("lets aura-2-es speak Spanish", async () => {
    const { ai, runs } = fakeAi(() => streamOf(encodeWav(samples, 8000)));
    await tts(ai, { WORKERS_AI_TTS_MODEL: "@cf/deepgram/aura-2-es" }).synthesize({
      ...req,
      text: "Su saldo es de cien dólares.",
      language: "es-MX",
      voice: "aquila",
    });
    expect(runs[0]!.inputs).toMatchObject({ text: "Su saldo es de cien dólares.", speaker: "aquila" });
  });
});

describe("Workers AI TTS: the answer", () => {
  it("strips the WAV header from a streamed answer and returns its samples at its rate", async () => {
    const { ai } = fakeAi(() => streamOf(encodeWav(samples, 24000)));
    expect(await tts(ai).synthesize({ ...req, sampleRate: 24000 })).toEqual({
      kind: "pcm",
      samples,
      sampleRate: 24000,
    });
  });

  it("reads the other documented output shapes: a Response, {audio: base64}, raw linear16", async () => {
    const wav = encodeWav(samples, 16000);
    const outputs = [new Response(wav), { audio: btoa(String.fromCharCode(...wav)) }, samplesToPcm16(samples, true)];
    for (const output of outputs) {
      const { ai } = fakeAi(output);
      expect(await tts(ai).synthesize({ ...req, sampleRate: 16000 })).toEqual({
        kind: "pcm",
        samples,
        sampleRate: 16000,
      });
    }
  });

  const wrongAnswers: [string, TtsEncoding, () => unknown][] = [
    ["MP3 when linear16 was asked", "pcm", () => MP3_BYTES],
    ["WAV when ogg was asked", "ogg", () => encodeWav(samples, 8000)],
    ["an empty stream", "mp3", () => streamOf(new Uint8Array(0))],
    ["a number", "pcm", () => 42],
    ["JSON without audio", "pcm", () => ({ result: "ok" })],
    ["a string that is not base64", "mp3", () => "not base64 at all!"],
  ];
  it.each(wrongAnswers)("treats %s as invalid_response", async (_label, encoding, output) => {
    const { ai } = fakeAi(output);
    expect((await failure(tts(ai).synthesize({ ...req, encoding }))).kind).toBe("invalid_response");
  });
});
