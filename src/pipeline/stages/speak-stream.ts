/**
 * One sentence of a live reply from a streaming TTS engine (SentenceSpeaker, speak.ts): its audio
 * goes to the caller as the provider sends it, rather than once the whole sentence is synthesised.
 *
 * The chain is the caller's (ttsEnginePairsFor: same order, residency and breakers as the batch
 * chain). Through the resilience layer, per engine in order: the speech cache first (a hit is sent
 * whole, as without streaming); then the engine's stream, whose attempt succeeds with its first
 * chunk, so a failure or timeout before any audio fails over as a batch call would (an engine that
 * cannot stream is called whole). Once audio has gone out there is no going back: a failure after
 * it ends the sentence where it is ("cut", logged, counted against the engine's breaker), because
 * replaying it from another engine would have the caller hear its start twice.
 */
import { AudioError } from "../../audio/errors";
import { muLawEncode } from "../../audio/g711";
import { mediaTypeFor } from "../../audio/output-format";
import { samplesToPcm16 } from "../../audio/pcm";
import type { ReplyAudio } from "../../call/audio-format";
import { abortRace } from "../../lib/abortable";
import { concatBytes } from "../../lib/bytes";
import { errorMessage } from "../../lib/errors";
import { log } from "../../observability/log";
import { ProviderError } from "../../providers/errors";
import type { TtsEnginePair } from "../../providers/registry";
import type { PcmChunk } from "../../providers/streaming";
import { ChunkResampler } from "../../providers/stt-socket-audio";
import type { TtsRequest } from "../../providers/types";
import { summarize } from "../../routing/attempts";
import { healthRegistry } from "../../routing/health-registry";
import { callWithResilience } from "../../routing/resilient-call";
import { readCachedSpeech, writeCachedSpeech, type CacheEntry, type TtsCache } from "../../storage/speech-cache";
import type { ReplyOptions, SentencePart } from "../types";
import {
  asEngineFailure,
  speechCacheKey,
  toReplyAudio,
  ttsFailure,
  TtsUnavailableError,
  TTS_BASE_DEADLINE_MS,
  TTS_BASE_SLOW_CALL_MS,
  type SynthesizeResilience,
  type Synthesized,
} from "./synthesize";

/** Pieces go out in whole frames of this length (the client's jitter buffer and Twilio's media size). */
const FRAME_MS = 20;

/** Whether a reply in `reply`'s format streams from this chain: PCM-based formats, an engine that streams. */
export function streamsReply(reply: ReplyOptions, engines: readonly TtsEnginePair[]): boolean {
  return (reply.format === "pcm" || reply.format === "mulaw") && engines.some((e) => e.stream);
}

export interface SentenceStreamOptions {
  cache: (TtsCache & { tenantId: string }) | undefined;
  resilience: SynthesizeResilience;
  /** The caller barged in: the provider's stream (or the wait for its first chunk) is aborted. */
  signal: AbortSignal;
  /** Sends audio in the client's format and rate: a whole sentence (no `part`) or a piece of one. */
  send(bytes: Uint8Array, part?: SentencePart): void;
  /** Work no answer waits for (the call object's waitUntil): the cache write. */
  waitUntil(work: Promise<unknown>): void;
}

export interface StreamedSentence {
  /** The audio sent, as one synthesis (only what went out, when cut or interrupted); none when nothing did. */
  synth: Synthesized | undefined;
  /** The engine failed after audio had gone out: the sentence ends where it was. */
  cut: boolean;
}

/** An engine's answer at the end of its attempt: its stream with the first chunk, or whole audio. */
type Opened =
  | { kind: "stream"; first: PcmChunk; chunks: AsyncIterator<PcmChunk>; controller: AbortController }
  | { kind: "whole"; audio: ReplyAudio & { cacheEntry?: CacheEntry } };

/**
 * Speaks `text` to the caller from the first engine of `engines` that answers. Throws as
 * synthesize() does when none does (TtsUnavailableError, TtsRefusedError); a barge-in before any
 * audio returns nothing.
 */
export async function streamSentence(
  text: string,
  language: string,
  reply: ReplyOptions,
  engines: readonly TtsEnginePair[],
  o: SentenceStreamOptions,
): Promise<StreamedSentence> {
  const usable = engines.filter((e) => e.stream || e.tts.encodings.includes("pcm"));
  if (!usable.length) throw new TtsUnavailableError("no TTS provider configured for pcm");
  const { cache, resilience } = o;
  const request: TtsRequest = { text, language, sampleRate: reply.sampleRate, encoding: "pcm" };
  let out;
  try {
    out = await callWithResilience<TtsEnginePair, Opened>(
      usable,
      (engine, signal) => open(engine, request, reply, signal),
      {
        ...resilience,
        deadlineMs: resilience.deadlineMs ?? TTS_BASE_DEADLINE_MS + 2 * [...text].length,
        // The caller waits for the first chunk only, however long the sentence.
        slowCallMs: resilience.slowCallMs ?? TTS_BASE_SLOW_CALL_MS,
        signal: o.signal,
        cached: cache
          ? async (engine) => {
              const key = speechCacheKey(cache, engine.name, text, language, reply);
              const hit = await readCachedSpeech(cache, key).catch((err: unknown) => {
                log("tts_cache_read_failed", { message: String(err) }, "warn");
                return null;
              });
              return hit ? { kind: "whole" as const, audio: hit } : undefined;
            }
          : undefined,
      },
    );
  } catch (err) {
    if (o.signal.aborted) return { synth: undefined, cut: false };
    throw ttsFailure(err, language);
  }
  const { provider, attempts, value } = out;
  if (attempts.some((a) => a.outcome !== "success" && a.outcome !== "cached"))
    log("tts_failover", { provider: provider.name, region: provider.region, attempts: summarize(attempts) }, "warn");
  const made = { provider: provider.name, region: provider.region, attempts };
  const remember = (audio: ReplyAudio) => {
    if (!cache) return;
    const key = speechCacheKey(cache, provider.name, text, language, reply);
    o.waitUntil(
      writeCachedSpeech(cache, key, audio).catch((err: unknown) => {
        log("tts_cache_write_failed", { message: String(err) }, "warn");
      }),
    );
  };

  if (value.kind === "whole") {
    const { cacheEntry, ...audio } = value.audio;
    // Engines that only return a container (mp3, ogg) cannot be sent as PCM or µ-law frames.
    if (audio.format !== reply.format || audio.sampleRate !== reply.sampleRate)
      throw new TtsUnavailableError(`${provider.name} returned ${audio.format}@${audio.sampleRate}`);
    if (o.signal.aborted) return { synth: undefined, cut: false };
    if (!out.cached) remember(audio);
    o.send(audio.bytes);
    const synth: Synthesized = {
      audio,
      ...made,
      cache: out.cached ? "hit" : "miss",
      ...(cacheEntry ? { cacheEntry } : {}),
    };
    return { synth, cut: false };
  }

  const forwarded = await forward(value, reply, provider, o);
  const audio: ReplyAudio = {
    format: reply.format,
    sampleRate: reply.sampleRate,
    mediaType: mediaTypeFor(reply.format, reply.sampleRate),
    bytes: forwarded.bytes,
  };
  if (forwarded.outcome === "end") remember(audio);
  if (forwarded.outcome === "cut") {
    const sentMs = Math.round((forwarded.samples * 1000) / reply.sampleRate);
    const message = errorMessage(forwarded.error);
    log("tts_stream_cut", { provider: provider.name, region: provider.region, sentMs, message }, "warn");
  }
  const synth: Synthesized | undefined = audio.bytes.length ? { audio, ...made, cache: "miss" } : undefined;
  return { synth, cut: forwarded.outcome === "cut" };
}

/**
 * One attempt of the resilience layer: `signal` carries the attempt's share of the deadline, which
 * bounds the wait for the first chunk only (a long sentence may well stream for longer), so the
 * stream gets a controller of its own, tied to `signal` until then.
 */
async function open(
  engine: TtsEnginePair,
  request: TtsRequest,
  reply: ReplyOptions,
  signal: AbortSignal,
): Promise<Opened> {
  if (!engine.stream) {
    try {
      return { kind: "whole", audio: toReplyAudio(await engine.tts.synthesize(request, signal), reply) };
    } catch (err) {
      throw asEngineFailure(engine, err);
    }
  }
  const controller = new AbortController();
  const stop = () => controller.abort(signal.reason);
  signal.addEventListener("abort", stop, { once: true });
  try {
    const chunks = engine.stream.stream(request, controller.signal)[Symbol.asyncIterator]();
    const first = await chunks.next();
    if (first.done) throw new ProviderError(engine.name, "invalid_response", "the stream ended before any audio");
    return { kind: "stream", first: first.value, chunks, controller };
  } catch (err) {
    controller.abort();
    throw asEngineFailure(engine, err);
  } finally {
    signal.removeEventListener("abort", stop);
  }
}

interface Forwarded {
  /** Everything sent, in the client's format and rate. */
  bytes: Uint8Array;
  samples: number;
  outcome: "end" | "cut" | "interrupted";
  error?: unknown;
}

/** Sends the stream's audio as it arrives, resampled to the client's rate, in whole frames. */
async function forward(
  opened: Extract<Opened, { kind: "stream" }>,
  reply: ReplyOptions,
  engine: TtsEnginePair,
  o: SentenceStreamOptions,
): Promise<Forwarded> {
  const { chunks, controller } = opened;
  const rate = opened.first.sampleRate;
  // Resampling chunk by chunk with resample() would fade every chunk's edges: a buzz at the chunk rate.
  const resampler = new ChunkResampler(rate, reply.sampleRate);
  const frame = Math.max(1, Math.round((reply.sampleRate * FRAME_MS) / 1000));
  const sent: Uint8Array[] = [];
  let samples = 0;
  let held: Int16Array = new Int16Array(0);
  const send = (pcm: Int16Array, part: SentencePart) => {
    const bytes = reply.format === "mulaw" ? muLawEncode(pcm) : samplesToPcm16(pcm, true);
    sent.push(bytes);
    samples += pcm.length;
    o.send(bytes, part);
  };
  const take = (chunk: PcmChunk) => {
    if (chunk.sampleRate !== rate)
      throw new ProviderError(
        engine.name,
        "invalid_response",
        `the stream went from ${rate} to ${chunk.sampleRate} Hz`,
      );
    const ready = join(held, resampler.push(chunk.samples));
    const whole = ready.length - (ready.length % frame);
    held = ready.slice(whole);
    if (whole > 0) send(ready.subarray(0, whole), "more");
  };
  const bargeIn = () => controller.abort(o.signal.reason);
  o.signal.addEventListener("abort", bargeIn, { once: true });
  if (o.signal.aborted) bargeIn();
  const started = Date.now();
  // Raced with the abort: an adapter slow to honour it must not hold the turn.
  const untilCut = abortRace(controller.signal);
  try {
    take(opened.first);
    for (;;) {
      const next = await untilCut(chunks.next());
      if (next.done) break;
      take(next.value);
    }
    send(join(held, resampler.flush()), "end");
    return { bytes: concatBytes(sent), samples, outcome: "end" };
  } catch (err) {
    controller.abort();
    if (o.signal.aborted) return { bytes: concatBytes(sent), samples, outcome: "interrupted" };
    const failure = asEngineFailure(engine, err);
    const engineFault = failure instanceof ProviderError || failure instanceof AudioError || isAbort(failure);
    // Close the sentence on the channel either way (the caller's playback and Twilio's marks rely on it).
    send(join(held, resampler.flush()), "cut");
    if (!engineFault) throw failure;
    if (!(failure instanceof ProviderError && failure.kind === "permanent"))
      countFailure(engine, o, Date.now() - started);
    return { bytes: concatBytes(sent), samples, outcome: "cut", error: failure };
  } finally {
    o.signal.removeEventListener("abort", bargeIn);
  }
}

/**
 * A stream dropped after its attempt was recorded as a success still says the engine is failing:
 * it counts in the breaker's window (a closed breaker only: a half-open one has settled its trial).
 */
function countFailure(engine: TtsEnginePair, o: SentenceStreamOptions, ms: number): void {
  const health = (o.resilience.registry ?? healthRegistry).get(engine.name, engine.region);
  if (health.breaker.state === "closed") health.breaker.onFailure(ms);
  health.latency.recordFailure();
}

function isAbort(err: unknown): boolean {
  return err instanceof Error && (err.name === "AbortError" || err.name === "TimeoutError");
}

function join(a: Int16Array, b: Int16Array): Int16Array {
  if (!a.length) return b;
  if (!b.length) return a;
  const out = new Int16Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
