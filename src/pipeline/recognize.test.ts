import { describe, expect, it } from "vitest";
import balanceOgg from "../../test/fixtures/audio/balance-16k.ogg";
import balanceWav from "../../test/fixtures/audio/balance-16k.wav";
import { decodeAudio } from "../audio/decode";
import { AudioError } from "../audio/errors";
import { ApiError } from "../errors";
import { ProviderError } from "../providers/errors";
import type { Container, SpeechToText, SttInput } from "../providers/types";
import { recognize } from "./recognize";

const limits = { maxBytes: 10 << 20, maxDurationMs: 300_000 };
const speech = { kind: "audio" as const, audio: decodeAudio(balanceWav, "audio/wav", limits) };
const ogg = { kind: "audio" as const, audio: decodeAudio(balanceOgg, "audio/ogg", limits) };

function engine(name: string, behaviour: (input: SttInput) => Promise<string>, containers: Container[] = []): SpeechToText & { seen: SttInput[] } {
  const seen: SttInput[] = [];
  return {
    name,
    region: `${name}-region`,
    containers,
    seen,
    async transcribe(input) {
      seen.push(input);
      return { text: await behaviour(input), confidence: 0.9, source: "speech" };
    },
  };
}
const failing = (err: Error) => async () => {
  throw err;
};

describe("recognize: the STT stage", () => {
  it("uses the first provider and reports which one answered", async () => {
    const a = engine("a", async () => "check my balance");
    const r = await recognize(speech, "en-US", () => [a, engine("b", async () => "unused")]);
    expect(r).toMatchObject({ text: "check my balance", provider: "a", region: "a-region", source: "speech" });
    expect(a.seen[0]).toMatchObject({ kind: "pcm", sampleRate: 16000, language: "en-US" });
  });

  it("fails over to the next provider when one fails", async () => {
    const r = await recognize(speech, "en-US", () => [engine("a", failing(new ProviderError("a", "retryable", "HTTP 503"))), engine("b", async () => "hello")]);
    expect(r).toMatchObject({ text: "hello", provider: "b" });
  });

  it("passes containers only to providers that take them", async () => {
    const pcmOnly = engine("pcm-only", async () => "no");
    const takesOgg = engine("ogg", async () => "yes", ["ogg"]);
    const r = await recognize(ogg, "en-US", () => [pcmOnly, takesOgg]);
    expect(r.provider).toBe("ogg");
    expect(pcmOnly.seen).toHaveLength(0);
    expect(takesOgg.seen[0]).toMatchObject({ kind: "container", container: "ogg" });
    await expect(recognize(ogg, "en-US", () => [pcmOnly])).rejects.toMatchObject({ code: "unsupported_media_type" });
  });

  it("answers 503 with the longest Retry-After when every provider is down", async () => {
    const err = await recognize(speech, "en-US", () => [
      engine("a", failing(new ProviderError("a", "retryable", "HTTP 429", { status: 429, retryAfterMs: 7000 }))),
      engine("b", failing(new ProviderError("b", "auth", "HTTP 401", { status: 401 }))),
    ]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 503, code: "provider_unavailable", options: { headers: { "Retry-After": "7" } } });
    expect((err as ApiError).detail).not.toContain("401");
  });

  it("blames the audio (400) when every provider refused it as bad input", async () => {
    const err = await recognize(speech, "en-US", () => [engine("a", failing(new ProviderError("a", "permanent", "HTTP 400 bad audio", { status: 400 })))]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AudioError);
    expect(err).toMatchObject({ code: "invalid_audio" });
  });

  it("lets programming errors through instead of hiding them as provider failures", async () => {
    await expect(recognize(speech, "en-US", () => [engine("a", failing(new TypeError("bug")))])).rejects.toThrow(TypeError);
  });
});
