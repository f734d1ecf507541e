import { beforeEach, describe, expect, it } from "vitest";
import balanceOgg from "../../../test/fixtures/audio/balance-16k.ogg";
import balanceWav from "../../../test/fixtures/audio/balance-16k.wav";
import { decodeAudio } from "../../audio/decode";
import { AudioError } from "../../audio/errors";
import { ApiError } from "../../lib/errors";
import { ProviderError, refusedRequest } from "../../providers/errors";
import type { Container, SpeechToText, SttInput } from "../../providers/types";
import { attemptsOf } from "../../routing/attempts";
import { HealthRegistry, resetHealthForTests } from "../../routing/health-registry";
import { recognize } from "./recognize";

const limits = { maxBytes: 10 << 20, maxDurationMs: 300_000 };
const speech = { kind: "audio" as const, audio: decodeAudio(balanceWav, "audio/wav", limits) };
const ogg = { kind: "audio" as const, audio: decodeAudio(balanceOgg, "audio/ogg", limits) };

function engine(
  name: string,
  behaviour: (input: SttInput) => Promise<string>,
  containers: Container[] = [],
): SpeechToText & { seen: SttInput[] } {
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
  // Breakers remember failures across calls in an isolate; each test starts from healthy providers.
  beforeEach(() => resetHealthForTests());

  it("uses the first provider and reports which one answered", async () => {
    const a = engine("a", async () => "check my balance");
    const r = await recognize(speech, "en-US", () => [a, engine("b", async () => "unused")]);
    expect(r).toMatchObject({ text: "check my balance", provider: "a", region: "a-region", source: "speech" });
    expect(a.seen[0]).toMatchObject({ kind: "pcm", sampleRate: 16000, language: "en-US" });
  });

  it("fails over to the next provider when one fails", async () => {
    const r = await recognize(speech, "en-US", () => [
      engine("a", failing(new ProviderError("a", "retryable", "HTTP 503"))),
      engine("b", async () => "hello"),
    ]);
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
    expect(err).toMatchObject({
      status: 503,
      code: "provider_unavailable",
      options: { headers: { "Retry-After": "7" } },
    });
    expect((err as ApiError).detail).not.toContain("401");
  });

  it("blames the audio (400) when every provider refused it as bad input", async () => {
    const err = await recognize(speech, "en-US", () => [
      engine("a", failing(new ProviderError("a", "permanent", "HTTP 400 bad audio", { status: 400 }))),
    ]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AudioError);
    expect(err).toMatchObject({ code: "invalid_audio" });
  });

  it("lets programming errors through instead of hiding them as provider failures", async () => {
    await expect(recognize(speech, "en-US", () => [engine("a", failing(new TypeError("bug")))])).rejects.toThrow(
      TypeError,
    );
  });
});

describe("recognize through the routing layer", () => {
  beforeEach(() => resetHealthForTests());
  const quick = { sleep: async () => {}, random: () => 0 };

  it("reports the attempts behind an answer: retries and failovers", async () => {
    let calls = 0;
    const flaky = engine("a", async () => {
      calls++;
      throw new ProviderError("a", "retryable", "HTTP 503", { status: 503 });
    });
    const r = await recognize(speech, "en-US", () => [flaky, engine("b", async () => "hello")], undefined, {
      ...quick,
      registry: new HealthRegistry(),
    });
    expect(calls).toBe(3);
    expect(r.attempts?.map((a) => `${a.provider}#${a.attempt}:${a.outcome}`)).toEqual([
      "a#1:failed",
      "a#2:failed",
      "a#3:failed",
      "b#1:success",
    ]);
  });

  it("answers 503 at once with Retry-After 1 s when every breaker has just opened, then probes one", async () => {
    let now = 1_000_000;
    const registry = new HealthRegistry({ now: () => now });
    const a = engine("a", async () => "back again");
    registry.get("a", "a-region").breaker.onAuthFailure();
    const err = await recognize(speech, "en-US", () => [a], undefined, { registry }).catch((e: unknown) => e);
    expect(a.seen).toHaveLength(0);
    // Not the 30 s of the open period: a probe may go a second after the breaker opened.
    expect(err).toMatchObject({
      status: 503,
      code: "provider_unavailable",
      options: { headers: { "Retry-After": "1" } },
    });
    expect(attemptsOf(err)?.map((x) => x.outcome)).toEqual(["skipped_open"]);

    now += 1000;
    const r = await recognize(speech, "en-US", () => [a], undefined, { registry });
    expect(r).toMatchObject({ text: "back again", provider: "a" });
    expect(r.attempts?.map((x) => `${x.outcome}${x.probe ? ` (${x.probe} probe)` : ""}`)).toEqual([
      "skipped_open",
      "success (panic probe)",
    ]);
    expect(registry.get("a", "a-region").breaker.state).toBe("closed");
  });

  it("does not blame the audio when a provider refused it but another was never asked", async () => {
    const registry = new HealthRegistry();
    registry.get("b", "b-region").breaker.onAuthFailure();
    const err = await recognize(
      speech,
      "en-US",
      () => [
        engine("a", failing(new ProviderError("a", "permanent", "HTTP 400", { status: 400 }))),
        engine("b", async () => "unused"),
      ],
      undefined,
      { registry },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 503 });
  });

  it("answers a language every provider refuses with 422 unsupported_language, not a 503 to retry", async () => {
    const err = await recognize(
      speech,
      "xh-ZA",
      () => [
        engine("a", failing(refusedRequest("a", "language", "a: transcribes en, es only; not 'xh-ZA'"))),
        engine("b", failing(new ProviderError("b", "permanent", "HTTP 400 unsupported language", { status: 400 }))),
      ],
      undefined,
      { registry: new HealthRegistry() },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    // One provider said it was the language, the other only refused (400): the answer names both.
    expect(err).toMatchObject({ status: 422, code: "request_refused" });
    expect((err as ApiError).detail).toContain("not 'xh-ZA'");
    expect((err as ApiError).detail).toContain("b refused it (HTTP 400)");
    expect((err as ApiError).options.headers).toBeUndefined();

    const onlyLanguage = await recognize(
      speech,
      "xh-ZA",
      () => [engine("a", failing(refusedRequest("a", "language", "a: not 'xh-ZA'")))],
      undefined,
      { registry: new HealthRegistry() },
    ).catch((e: unknown) => e);
    expect(onlyLanguage).toMatchObject({ status: 422, code: "unsupported_language" });
  });

  it("carries the attempts on a 415 refusal", async () => {
    const err = await recognize(
      speech,
      "en-US",
      () => [engine("a", failing(new AudioError("unsupported_media_type", "no thanks")))],
      undefined,
      { registry: new HealthRegistry() },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AudioError);
    expect(err).toMatchObject({ code: "unsupported_media_type", message: "no thanks" });
    expect(attemptsOf(err)?.map((x) => x.outcome)).toEqual(["refused"]);
  });

  it("aborts a hanging provider within the deadline and answers from the next", async () => {
    const hanging: SpeechToText = {
      name: "slow",
      region: "r",
      containers: [],
      transcribe: (_input, signal) =>
        new Promise((_resolve, reject) =>
          signal?.addEventListener("abort", () =>
            reject(new ProviderError("slow", "permanent", "request aborted by the client")),
          ),
        ),
    };
    const r = await recognize(speech, "en-US", () => [hanging, engine("b", async () => "made it")], undefined, {
      registry: new HealthRegistry(),
      deadlineMs: 200,
    });
    expect(r).toMatchObject({ text: "made it", provider: "b" });
    expect(r.attempts?.[0]).toMatchObject({ provider: "slow", outcome: "timeout" });
  });

  it("gives up at once, without trying others, when the client goes away", async () => {
    const controller = new AbortController();
    const b = engine("b", async () => "unused");
    const hangUp = engine("a", async () => {
      controller.abort();
      throw new ProviderError("a", "permanent", "request aborted by the client");
    });
    const err = await recognize(speech, "en-US", () => [hangUp, b], controller.signal, {
      registry: new HealthRegistry(),
    }).catch((e: unknown) => e);
    expect(b.seen).toHaveLength(0);
    expect(err).toMatchObject({ status: 503 });
    expect(attemptsOf(err)?.map((x) => x.outcome)).toEqual(["aborted"]);
  });
});
