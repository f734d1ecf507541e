import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ReplyOptions } from "../types";
import { ProviderError, refusedRequest } from "../../providers/errors";
import { TextTooLongError, UnsupportedLanguageError } from "../../providers/local/espeak-tts";
import type { TextToSpeech, TtsRequest } from "../../providers/types";
import { AllProvidersFailedError, attemptsOf } from "../../routing/attempts";
import { HealthRegistry } from "../../routing/health-registry";
import { archiveKeyring } from "../../storage/encryption";
import { synthesize, TtsRefusedError, TtsUnavailableError } from "./synthesize";

const reply: ReplyOptions = { mode: "audio", format: "wav", sampleRate: 16000 };
const quick = { sleep: async () => {}, random: () => 0 };

function engine(
  name: string,
  behaviour: (req: TtsRequest) => Promise<Int16Array> | Int16Array,
): TextToSpeech & { seen: TtsRequest[] } {
  const seen: TtsRequest[] = [];
  return {
    name,
    region: `${name}-region`,
    encodings: ["pcm"],
    seen,
    async synthesize(req) {
      seen.push(req);
      return { samples: await behaviour(req), sampleRate: 16000 };
    },
  };
}
const tone = () => new Int16Array(1600).fill(1000);
const throwing = (err: Error) => () => {
  throw err;
};

describe("synthesize through the routing layer", () => {
  it("fails over to the next engine and reports the attempts", async () => {
    const registry = new HealthRegistry();
    const out = await synthesize(
      "Hello.",
      "en-US",
      reply,
      [engine("a", throwing(new ProviderError("a", "auth", "HTTP 403", { status: 403 }))), engine("b", tone)],
      {
        resilience: { ...quick, registry },
      },
    );
    expect(out).toMatchObject({
      provider: "b",
      region: "b-region",
      cache: "miss",
      audio: { format: "wav", mediaType: "audio/wav" },
    });
    expect(out.attempts?.map((a) => `${a.provider}:${a.outcome}`)).toEqual(["a:failed", "b:success"]);
    expect(registry.get("a", "a-region").breaker.state).toBe("open");
  });

  it(
    "moves on from an engine that fails with a plain " + "error (say, eSpeak left out of the build), counting it",
    async () => {
      const registry = new HealthRegistry();
      const out = await synthesize(
        "Hello.",
        "en-US",
        reply,
        [
          engine("local", throwing(new Error("the embedded eSpeak NG engine is not included in this build"))),
          engine("b", tone),
        ],
        {
          resilience: { ...quick, registry },
        },
      );
      expect(out.provider).toBe("b");
      expect(out.attempts?.[0]).toMatchObject({ provider: "local", outcome: "failed", errorKind: "invalid_response" });
      expect(registry.get("local", "local-region").breaker.snapshot().calls).toBe(1);
    },
  );

  it(
    "treats an engine refusing the language or the length " + "as the request's matter, not the engine's fault",
    async () => {
      const registry = new HealthRegistry();
      const out = await synthesize(
        "Bonjour.",
        "fr-FR",
        reply,
        [
          engine("local", throwing(new UnsupportedLanguageError("English only"))),
          engine("long", throwing(new TextTooLongError("too long"))),
          engine("b", tone),
        ],
        { resilience: { ...quick, registry } },
      );
      expect(out.provider).toBe("b");
      expect(out.attempts?.map((a) => a.outcome)).toEqual(["refused", "refused", "success"]);
      expect(registry.get("local", "local-region").breaker.snapshot().calls).toBe(0);
    },
  );

  it("answers a refusal by every engine as a 422 naming them, not a retryable outage", async () => {
    const registry = new HealthRegistry();
    const err = await synthesize(
      "Hallo.",
      "de-DE",
      reply,
      [
        engine("local", throwing(new UnsupportedLanguageError("the local engine speaks English only, not 'de-DE'"))),
        engine("ai", throwing(refusedRequest("ai", "language", "ai: this model speaks 'en' only, not 'de-DE'"))),
      ],
      { resilience: { ...quick, registry } },
    ).catch((e: unknown) => e);
    // Still a TtsUnavailableError, so a turn degrades to a text reply as before.
    expect(err).toBeInstanceOf(TtsUnavailableError);
    expect(err).toBeInstanceOf(TtsRefusedError);
    const problem = (err as TtsRefusedError).problem;
    expect(problem).toMatchObject({ status: 422, code: "unsupported_language" });
    expect(problem.detail).toContain("local engine speaks English only");
    expect(problem.detail).toContain("ai: this model speaks 'en' only");
    expect(problem.options.headers).toBeUndefined();
  });

  it("keeps a 503 when one engine refused and another failed, since the failure may pass", async () => {
    const registry = new HealthRegistry();
    const err = await synthesize(
      "Hallo.",
      "de-DE",
      reply,
      [
        engine("local", throwing(new UnsupportedLanguageError("English only"))),
        engine("cloud", throwing(new ProviderError("cloud", "retryable", "HTTP 503", { status: 503 }))),
      ],
      { resilience: { ...quick, registry, maxAttemptsPerProvider: 1 } },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TtsUnavailableError);
    expect(err).not.toBeInstanceOf(TtsRefusedError);
  });

  it("names the voice or the length when that is what every engine refused", async () => {
    const registry = new HealthRegistry();
    const voice = await synthesize(
      "Hi.",
      "en-US",
      reply,
      [engine("p", throwing(refusedRequest("p", "voice", "p: no voice 'Zed'")))],
      {
        resilience: { ...quick, registry },
      },
    ).catch((e: unknown) => e);
    expect((voice as TtsRefusedError).problem).toMatchObject({ status: 422, code: "unsupported_voice" });
    const long = await synthesize("Hi.", "en-US", reply, [engine("l", throwing(new TextTooLongError("too long")))], {
      resilience: { ...quick, registry },
    }).catch((e: unknown) => e);
    expect((long as TtsRefusedError).problem).toMatchObject({ status: 422, code: "text_too_long" });
  });

  it("lets a bug through instead of degrading to text", async () => {
    const b = engine("b", tone);
    await expect(
      synthesize("Hello.", "en-US", reply, [engine("a", throwing(new TypeError("bug"))), b], {
        resilience: { registry: new HealthRegistry() },
      }),
    ).rejects.toThrow(TypeError);
    expect(b.seen).toHaveLength(0);
  });

  it("throws TtsUnavailableError carrying the attempts and a Retry-After when every engine fails", async () => {
    const err = await synthesize(
      "Hello.",
      "en-US",
      reply,
      [
        engine("a", throwing(new ProviderError("a", "retryable", "HTTP 429", { status: 429, retryAfterMs: 20_000 }))),
        engine("b", throwing(new ProviderError("b", "invalid_response", "empty audio"))),
      ],
      { resilience: { ...quick, registry: new HealthRegistry() } },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TtsUnavailableError);
    const tts = err as TtsUnavailableError;
    expect(tts.attempts.map((a) => `${a.provider}:${a.outcome}`)).toEqual(["a:failed", "b:failed"]);
    expect(tts.retryAfterMs).toBe(20_000);
    expect(tts.cause).toBeInstanceOf(AllProvidersFailedError);
    expect(tts.message).toContain("empty audio");
    expect(attemptsOf(err)).toBe(tts.attempts);
  });

  it("still says when no engine produces the encoding", async () => {
    await expect(synthesize("Hello.", "en-US", { ...reply, format: "mp3" }, [engine("a", tone)])).rejects.toThrow(
      /no TTS provider configured for mp3/,
    );
  });

  it("plays cached speech for an engine even while its breaker is open", async () => {
    const registry = new HealthRegistry();
    const cache = {
      bucket: env.ARCHIVE,
      ttlSeconds: 3600,
      keys: archiveKeyring(env),
      tenantId: `t-${crypto.randomUUID()}`,
    };
    const a = engine("a", tone);
    const first = await synthesize("Please hold.", "en-US", reply, [a, engine("b", tone)], {
      cache,
      resilience: { registry },
    });
    expect(first).toMatchObject({ provider: "a", cache: "miss" });
    registry.get("a", "a-region").breaker.onAuthFailure();
    const second = await synthesize("Please hold.", "en-US", reply, [a, engine("b", tone)], {
      cache,
      resilience: { registry },
    });
    expect(second).toMatchObject({ provider: "a", cache: "hit" });
    expect(second.audio.bytes).toEqual(first.audio.bytes);
    expect(second.attempts?.map((x) => x.outcome)).toEqual(["cached"]);
    expect(a.seen).toHaveLength(1);
  });

  it("synthesizes anyway when the cache cannot be read", async () => {
    const broken = {
      get: async () => Promise.reject(new Error("R2 down")),
      put: async () => Promise.reject(new Error("R2 down")),
    } as unknown as R2Bucket;
    const out = await synthesize("Hello.", "en-US", reply, [engine("a", tone)], {
      cache: { bucket: broken, ttlSeconds: 60, keys: archiveKeyring(env), tenantId: "t" },
      resilience: { registry: new HealthRegistry() },
    });
    expect(out).toMatchObject({ provider: "a", cache: "miss" });
  });
});
