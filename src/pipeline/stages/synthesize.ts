import { AudioError } from "../../audio/errors";
import { encodeReply, mediaTypeFor } from "../../audio/output-format";
import type { ReplyOptions } from "../types";
import type { ReplyAudio } from "../../call/audio-format";
import { ProviderError, refusedRequest } from "../../providers/errors";
import {
  readCachedSpeech,
  writeCachedSpeech,
  type CacheEntry,
  type TtsCache,
  type TtsCacheKey,
} from "../../storage/speech-cache";
import type { TextToSpeech, TtsEncoding, TtsResult } from "../../providers/types";
import { AllProvidersFailedError, refusedByEveryProvider, summarize } from "../../routing/attempts";
import type { AttemptRecord } from "../../call/attempts";
import { callWithResilience, type ResilienceOptions } from "../../routing/resilient-call";
import { log } from "../../observability/log";
import { type ApiError, errorMessage } from "../../lib/errors";
import { refusalProblem } from "./refusal";

export interface Synthesized {
  audio: ReplyAudio;
  provider: string;
  region: string;
  cache: "hit" | "miss";
  /** The speech cache entry holding this audio (read from it, or written to it), when there is one. */
  cacheEntry?: CacheEntry;
  /** The provider calls behind this audio (retries, failovers, skips, a cache hit), for logs and metrics. */
  attempts?: AttemptRecord[];
}

/** Every TTS engine failed or was skipped; a turn degrades to a text reply. */
export class TtsUnavailableError extends Error {
  override name = "TtsUnavailableError";

  constructor(
    message: string,
    /** The provider calls that were made or skipped, for failover logs. */
    readonly attempts: readonly AttemptRecord[] = [],
    /** When a client could usefully retry, ms (from Retry-After or the breakers); 0 when unknown. */
    readonly retryAfterMs = 0,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * Every TTS engine refused the request for what it is (its language, voice or length): still a
 * TtsUnavailableError, so a turn degrades to a text reply, but an HTTP synthesis answers `problem`
 * (a 422) rather than a 503 that would invite the same request again.
 */
export class TtsRefusedError extends TtsUnavailableError {
  override name = "TtsRefusedError";

  constructor(
    message: string,
    attempts: readonly AttemptRecord[],
    readonly problem: ApiError,
    options?: ErrorOptions,
  ) {
    super(message, attempts, 0, options);
  }
}

/** Resilience settings for the TTS call; tests inject clocks and registries here. */
export type SynthesizeResilience = Partial<Omit<ResilienceOptions<TextToSpeech, ReplyAudio>, "signal" | "cached">>;

/**
 * A reply's TTS budget: 8 s, since a caller is waiting, plus 2 ms per character for long texts
 * (the 5000-character maximum gets 18 s). Each adapter's own timeout still bounds a single call.
 */
export const TTS_BASE_DEADLINE_MS = 8000;
/** Slow for the breaker: 2.5 s of dead air, plus 1 ms per character so long texts are not held against the engine. */
export const TTS_BASE_SLOW_CALL_MS = 2500;

/** mp3 and ogg come from the provider as they are; every other format is encoded here from PCM. */
export function ttsEncodingFor(format: ReplyOptions["format"]): TtsEncoding {
  return format === "mp3" || format === "ogg" ? format : "pcm";
}

/**
 * The TTS stage: the configured engines in preference order through the routing layer (breakers,
 * retries, failover, a deadline); engines that cannot produce the requested encoding are left out.
 * Before each engine is called, the R2 cache is asked for that engine's rendering of the text, so
 * cached prompts play even while their engine is down. PCM is encoded into the client's format and
 * rate. Throws TtsUnavailableError when every engine failed, so a turn can degrade to a text-only
 * reply instead of failing.
 */
export async function synthesize(
  text: string,
  language: string,
  reply: ReplyOptions,
  tts: readonly TextToSpeech[],
  options: {
    voice?: string | undefined;
    signal?: AbortSignal | undefined;
    cache?: (TtsCache & { tenantId: string }) | undefined;
    resilience?: SynthesizeResilience | undefined;
  } = {},
): Promise<Synthesized> {
  const encoding = ttsEncodingFor(reply.format);
  const engines = tts.filter((e) => e.encodings.includes(encoding));
  if (!engines.length) throw new TtsUnavailableError(`no TTS provider configured for ${encoding}`);
  const cache = options.cache;
  const cacheKey = (engine: TextToSpeech) => speechCacheKey(cache, engine.name, text, language, reply, options.voice);
  const request = {
    text,
    language,
    sampleRate: reply.sampleRate,
    encoding,
    ...(options.voice ? { voice: options.voice } : {}),
  };
  const resilience = options.resilience ?? {};
  const chars = [...text].length;
  try {
    const out = await callWithResilience(
      engines,
      async (engine, signal) => {
        let result: TtsResult;
        try {
          result = await engine.synthesize(request, signal);
        } catch (err) {
          throw asEngineFailure(engine, err);
        }
        return toReplyAudio(result, reply);
      },
      {
        ...resilience,
        deadlineMs: resilience.deadlineMs ?? TTS_BASE_DEADLINE_MS + 2 * chars,
        slowCallMs: resilience.slowCallMs ?? TTS_BASE_SLOW_CALL_MS + chars,
        signal: options.signal,
        // A cache that cannot be read costs a synthesis, never the reply.
        cached: cache
          ? async (engine) =>
              (await readCachedSpeech(cache, cacheKey(engine)).catch((err: unknown) => {
                log("tts_cache_read_failed", { message: String(err) }, "warn");
                return null;
              })) ?? undefined
          : undefined,
      },
    );
    const { provider, attempts } = out;
    if (attempts.some((a) => a.outcome !== "success" && a.outcome !== "cached")) {
      log("tts_failover", { provider: provider.name, region: provider.region, attempts: summarize(attempts) }, "warn");
    }
    // A cache write that fails costs only a later re-synthesis; it must not fail the reply.
    let cacheEntry = (out.value as { cacheEntry?: CacheEntry }).cacheEntry;
    if (cache && !out.cached) {
      cacheEntry = await writeCachedSpeech(cache, cacheKey(provider), out.value).catch((err: unknown) => {
        log("tts_cache_write_failed", { message: String(err) }, "warn");
        return undefined;
      });
    }
    const { cacheEntry: _entry, ...audio } = out.value as ReplyAudio & { cacheEntry?: CacheEntry };
    return {
      audio,
      provider: provider.name,
      region: provider.region,
      cache: out.cached ? "hit" : "miss",
      attempts,
      ...(cacheEntry ? { cacheEntry } : {}),
    };
  } catch (err) {
    throw ttsFailure(err, language);
  }
}

/** The speech cache's name for `provider`'s rendering of `text` in the reply's format and rate. */
export function speechCacheKey(
  cache: { tenantId: string } | undefined,
  provider: string,
  text: string,
  language: string,
  reply: ReplyOptions,
  voice = "",
): TtsCacheKey {
  const { format, sampleRate } = reply;
  return { tenantId: cache?.tenantId ?? "", provider, voice, language, format, sampleRate, text };
}

/** What the TTS chain failing means for the reply: TtsRefusedError, TtsUnavailableError, or `err` itself (a bug). */
export function ttsFailure(err: unknown, language: string): unknown {
  if (!(err instanceof AllProvidersFailedError)) return err;
  const detail = [summarize(err.attempts), ...err.errors.map((e) => errorMessage(e))].join("; ").slice(0, 1000);
  const refusals = refusedByEveryProvider(err);
  if (refusals) {
    const problem = refusalProblem("text-to-speech", language, refusals);
    return new TtsRefusedError(detail, err.attempts, problem, { cause: err });
  }
  return new TtsUnavailableError(detail, err.attempts, err.retryAfterMs, { cause: err });
}

export function toReplyAudio(out: TtsResult, reply: ReplyOptions): ReplyAudio {
  return out.kind === "encoded"
    ? {
        format: out.format,
        sampleRate: out.sampleRate ?? reply.sampleRate,
        mediaType: out.mediaType || mediaTypeFor(out.format, reply.sampleRate),
        bytes: out.bytes,
      }
    : {
        format: reply.format,
        sampleRate: reply.sampleRate,
        ...encodeReply(out.samples, out.sampleRate, reply.format, reply.sampleRate),
      };
}

/**
 * Cloud adapters throw classified ProviderErrors; the embedded engine throws plain errors. Those
 * are classified here so the routing layer treats them right:
 * - the engine refusing this request (a language it does not speak, a text too long) is not a
 *   fault of the engine: "permanent", and the next engine may take it;
 * - TypeError, ReferenceError, SyntaxError and other RangeErrors are bugs in our code: rethrown;
 * - any other Error is the engine failing (eSpeak crashing, the engine left out of this build):
 *   counted against it, and the next engine is tried.
 */
export function asEngineFailure(engine: { name: string }, err: unknown): unknown {
  if (err instanceof ProviderError || err instanceof AudioError || !(err instanceof Error)) return err;
  if (err.name === "UnsupportedLanguageError") return refusedRequest(engine.name, "language", err.message, err);
  if (err.name === "TextTooLongError") return refusedRequest(engine.name, "text", err.message, err);
  if (
    err instanceof TypeError ||
    err instanceof ReferenceError ||
    err instanceof SyntaxError ||
    err instanceof RangeError
  )
    return err;
  // An abort (DOMException) is recognised by the routing layer from the signal itself.
  if (err.name === "AbortError" || err.name === "TimeoutError") return err;
  return new ProviderError(engine.name, "invalid_response", err.message, { cause: err });
}
