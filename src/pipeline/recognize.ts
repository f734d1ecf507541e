import { AudioError } from "../audio/errors";
import { detectDtmf } from "../audio/dtmf";
import { hasVoiceEnergy } from "../audio/energy";
import type { TurnPayload } from "../durable/call-types";
import { ApiError } from "../errors";
import { ProviderError } from "../providers/errors";
import type { SpeechToText, SttInput, SttWord } from "../providers/types";
import { sttSetupHint } from "../providers/registry";

export interface Recognized {
  text: string;
  confidence: number;
  source: "text" | "dtmf" | "speech";
  provider?: string;
  region?: string;
  words?: SttWord[];
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
): Promise<Recognized> {
  switch (payload.kind) {
    case "text":
      return { text: payload.text, confidence: 1, source: "text" };
    case "dtmf":
      return { text: payload.digits, confidence: 1, source: "dtmf" };
    case "audio":
      break;
  }
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
        `None of the configured speech-to-text providers (${stt.map((p) => p.name).join(", ")}) takes ${audio.mediaType}; send WAV, audio/L16 or audio/basic, or configure one that does.`,
      );
    }
    if (audio.kind === "container") {
      throw new AudioError(
        "unsupported_media_type",
        `The embedded engine decodes WAV, audio/L16, audio/basic and A-law only; '${audio.mediaType}' is passed to cloud speech-to-text providers, and none is configured. ${sttSetupHint()}`,
      );
    }
    throw new ApiError(
      503,
      "provider_unavailable",
      `This audio contains speech, but no speech-to-text provider is configured. ${sttSetupHint()} Text and keypad turns work without one.`,
    );
  }
  return transcribeWithFailover(eligible, input, signal);
}

/**
 * Tries the providers in preference order. A provider that refuses the format (AudioError) or
 * fails is skipped for the next; when all fail, the client learns whether its audio was the
 * problem (400/415) or the providers were (503 with the longest Retry-After any of them asked for).
 * Per-provider retries, breakers and regional failover belong to the routing layer.
 */
async function transcribeWithFailover(providers: readonly SpeechToText[], input: SttInput, signal?: AbortSignal): Promise<Recognized> {
  const failures: unknown[] = [];
  for (const provider of providers) {
    try {
      const result = await provider.transcribe(input, signal);
      return { text: result.text, confidence: result.confidence, source: result.source, provider: provider.name, region: provider.region, ...(result.words ? { words: result.words } : {}) };
    } catch (err) {
      if (!(err instanceof AudioError) && !(err instanceof ProviderError)) throw err;
      console.warn(JSON.stringify({ event: "stt_provider_failed", provider: provider.name, region: provider.region, kind: err instanceof ProviderError ? err.kind : err.code, message: err.message.slice(0, 300) }));
      failures.push(err);
    }
  }
  const refusal = failures.find((f): f is AudioError => f instanceof AudioError);
  const providerErrors = failures.filter((f): f is ProviderError => f instanceof ProviderError);
  if (refusal && providerErrors.length === 0) throw refusal;
  if (providerErrors.length && providerErrors.every((e) => e.kind === "permanent" && [400, 415, 422].includes(e.options.status ?? 0))) {
    throw new AudioError("invalid_audio", "The speech-to-text provider could not decode this audio; check that the bytes match the declared format.");
  }
  const retryAfterMs = Math.max(0, ...providerErrors.map((e) => e.options.retryAfterMs ?? 0));
  throw new ApiError(503, "provider_unavailable", "Speech recognition is unavailable right now; retry shortly, or send text or keypad tones.", {
    internal: providerErrors.map((e) => e.message).join("; ").slice(0, 1000),
    headers: { "Retry-After": String(Math.max(1, Math.ceil(retryAfterMs / 1000))) },
  });
}
