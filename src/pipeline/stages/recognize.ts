import { AudioError } from "../../audio/errors";
import { detectDtmf } from "../../audio/dtmf";
import { hasVoiceEnergy } from "../../audio/energy";
import { ApiError } from "../../lib/errors";
import { ProviderError } from "../../providers/errors";
import type { SpeechToText, SttInput, SttResult, SttWord } from "../../providers/types";
import { sttSetupHint } from "../../providers/registry";
import { AllProvidersFailedError, refusedByEveryProvider, summarize } from "../../routing/attempts";
import { refusalProblem } from "./refusal";
import type { AttemptRecord } from "../../call/attempts";
import { callWithResilience, type ResilienceOptions } from "../../routing/resilient-call";
import { log } from "../../observability/log";
import { inSpan } from "../../observability/tracing";
import { sttEnginesFor } from "../../routing/resident-order";
import type { SessionRecord } from "../../call/records";
import type { CallRuntime } from "../call-runtime";
import type { TurnInput, TurnPayload } from "../types";

export interface Recognized {
  text: string;
  confidence: number;
  source: "text" | "dtmf" | "speech";
  provider?: string;
  region?: string;
  words?: SttWord[];
  /** The provider calls behind this answer (retries, failovers, skips), for logs and metrics. */
  attempts?: AttemptRecord[];
}

/** An AudioError (400/415 for the client) that also carries the provider attempts behind it. */
export class SttAudioError extends AudioError {
  constructor(
    code: AudioError["code"],
    message: string,
    readonly attempts: readonly AttemptRecord[],
  ) {
    super(code, message);
  }
}

/** Resilience settings for the STT call; tests inject clocks and registries here. */
export type RecognizeOptions = Partial<Omit<ResilienceOptions<SpeechToText, SttResult>, "signal" | "cached">>;

/**
 * A turn's STT budget: 8 s, because a caller is waiting and a turn later than that is lost anyway,
 * plus the audio's own length, so long uploads to /voice/transcribe still fit (cloud batch STT runs
 * many times faster than real time). Each adapter's own timeout still bounds a single call.
 */
export const STT_BASE_DEADLINE_MS = 8000;
/**
 * What counts as a slow STT call for the breaker: 2.5 s of dead air in a turn, plus a quarter of
 * the audio's length, so a long recording that takes its time is not held against the provider.
 */
export const STT_BASE_SLOW_CALL_MS = 2500;

/** The audio's length, or for containers whose length we cannot read (mp3, webm) an overestimate at 16 kbit/s. */
function audioMs(durationMs: number | null, input: SttInput): number {
  if (durationMs !== null) return durationMs;
  return input.kind === "pcm"
    ? (input.samples.length / input.sampleRate) * 1000
    : Math.min(300_000, input.bytes.length / 2);
}

/**
 * The STT stage. Text and keypad turns need no recognizer; audio is first checked for keypad tones
 * with the embedded DTMF detector, then for any voice energy, and only real speech goes to a
 * configured speech-to-text provider.
 */
export async function recognize(
  payload: TurnPayload,
  language: string,
  /** The STT chain, built only when the audio holds speech (keypad tones and silence need none). */
  sttProviders: () => readonly SpeechToText[],
  signal?: AbortSignal,
  options: RecognizeOptions = {},
): Promise<Recognized> {
  switch (payload.kind) {
    case "text":
      return { text: payload.text, confidence: 1, source: "text" };
    case "dtmf":
      return { text: payload.digits, confidence: 1, source: "dtmf" };
    case "audio":
      break;
  }
  // A live turn a streaming recogniser already heard: no second opinion from the batch chain.
  if (payload.recognized) return { ...payload.recognized, source: "speech", attempts: [] };
  const audio = payload.audio;
  let input: SttInput;
  if (audio.kind === "pcm") {
    const keypad = detectDtmf(audio.samples, audio.sampleRate);
    if (keypad.digits) return { text: keypad.digits, confidence: 1, source: "dtmf", provider: "local", region: "edge" };
    if (!hasVoiceEnergy(audio.samples, audio.sampleRate)) {
      return { text: "", confidence: 0, source: "speech", provider: "local", region: "edge" };
    }
    input = { kind: "pcm", samples: audio.samples, sampleRate: audio.sampleRate, language };
  } else {
    input = { kind: "container", container: audio.container, mediaType: audio.mediaType, bytes: audio.bytes, language };
  }
  const stt = sttProviders();
  const eligible = input.kind === "pcm" ? stt : stt.filter((p) => p.containers.includes(input.container));
  if (!eligible.length) {
    if (audio.kind === "container" && stt.length) {
      throw new AudioError(
        "unsupported_media_type",
        `None of the configured speech-to-text providers (${stt.map((p) => p.name).join(", ")}) takes ` +
          `${audio.mediaType}; send WAV, audio/L16 or audio/basic, or configure one that does.`,
      );
    }
    if (audio.kind === "container") {
      throw new AudioError(
        "unsupported_media_type",
        `The embedded engine decodes WAV, audio/L16, audio/basic and A-law only; '${audio.mediaType}' is ` +
          `passed to cloud speech-to-text providers, and none is configured. ${sttSetupHint()}`,
      );
    }
    throw new ApiError(
      503,
      "provider_unavailable",
      "This audio contains speech, but no speech-to-text provider is " +
        `configured. ${sttSetupHint()} Text and keypad turns work without one.`,
    );
  }
  return transcribeWithFailover(eligible, input, audioMs(audio.durationMs, input), signal, options);
}

/**
 * Calls the providers through the routing layer (breakers, retries, failover in preference order,
 * a deadline). A provider that refuses the format (AudioError) or the audio (400-class) is skipped
 * for the next; when none answers, the client learns whether its audio was the problem (400/415)
 * or the providers were (503, with the longest Retry-After any of them asked for, or the time until
 * an open breaker lets calls through again).
 */
async function transcribeWithFailover(
  providers: readonly SpeechToText[],
  input: SttInput,
  lengthMs: number,
  signal: AbortSignal | undefined,
  options: RecognizeOptions,
): Promise<Recognized> {
  try {
    const {
      value: result,
      provider,
      attempts,
    } = await callWithResilience(providers, (p, attemptSignal) => p.transcribe(input, attemptSignal), {
      ...options,
      deadlineMs: options.deadlineMs ?? STT_BASE_DEADLINE_MS + lengthMs,
      slowCallMs: options.slowCallMs ?? STT_BASE_SLOW_CALL_MS + lengthMs / 4,
      signal,
    });
    if (attempts.length > 1)
      log("stt_failover", { provider: provider.name, region: provider.region, attempts: summarize(attempts) }, "warn");
    return {
      text: result.text,
      confidence: result.confidence,
      source: result.source,
      provider: provider.name,
      region: provider.region,
      ...(result.words ? { words: result.words } : {}),
      attempts,
    };
  } catch (err) {
    if (!(err instanceof AllProvidersFailedError)) throw err;
    throw sttFailure(err, input.language);
  }
}

/** A provider's answer to audio it could not decode (HTTP 400, 415, 422): the client's audio is the problem. */
const DECODE_REFUSALS = new Set([400, 415, 422]);

/**
 * The client's answer when no STT provider answered: its audio's fault (400/415), a refusal of the
 * request for what it is (422, e.g. a language no provider takes), or the providers' (503).
 */
function sttFailure(failure: AllProvidersFailedError, language: string): Error {
  log("stt_unavailable", { reason: failure.reason, attempts: summarize(failure.attempts) }, "warn");
  const providerErrors = failure.errors.filter((f): f is ProviderError => f instanceof ProviderError);
  // Only when every provider was asked and each refused the request does the request take the blame.
  const refusals = refusedByEveryProvider(failure);
  const audioRefusal = failure.errors.find((f): f is AudioError => f instanceof AudioError);
  if (refusals?.every((r) => r.refused === "audio") && audioRefusal) {
    return new SttAudioError(audioRefusal.code, audioRefusal.message, failure.attempts);
  }
  const undecodable = providerErrors.every((e) => DECODE_REFUSALS.has(e.options.status ?? 0));
  if (refusals?.every((r) => r.refused === "request") && undecodable) {
    return new SttAudioError(
      "invalid_audio",
      "The speech-to-text provider could not decode this audio; check that the bytes match the declared format.",
      failure.attempts,
    );
  }
  if (refusals) return refusalProblem("speech-to-text", language, refusals);
  return new ApiError(
    503,
    "provider_unavailable",
    "Speech recognition is unavailable right now; retry shortly, or send text or keypad tones.",
    {
      internal: [summarize(failure.attempts), ...providerErrors.map((e) => e.message)].join("; ").slice(0, 1000),
      headers: { "Retry-After": String(Math.max(1, Math.ceil(failure.retryAfterMs / 1000))) },
      // The attempts travel with the error (attemptsOf(err) finds them) for failover logs.
      cause: failure,
    },
  );
}

/**
 * The turn's STT stage, traced: text and keypad turns pass through as they are; speech goes to the
 * first speech-to-text engine (ordered for the caller, within the call's residency) that answers.
 */
export function sttStage(call: CallRuntime, session: SessionRecord, input: TurnInput): Promise<Recognized> {
  return inSpan("stt", { "voice.stage": "stt", "voice.input": input.payload.kind }, async (span) => {
    const engines = () => sttEnginesFor(call.env, call.config, { caller: input.caller, residency: session.residency });
    const out = await recognize(input.payload, session.language, engines, undefined, {
      timeout: call.deadlines.timeout,
    });
    span?.setAttributes({
      "voice.source": out.source,
      ...(out.provider ? { "voice.provider": out.provider, "voice.region": out.region ?? "" } : {}),
    });
    return out;
  });
}
