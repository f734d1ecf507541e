import { AudioError } from "../audio/errors";
import { detectDtmf } from "../audio/dtmf";
import { hasVoiceEnergy } from "../audio/energy";
import type { TurnPayload } from "../durable/call-types";
import { ApiError } from "../errors";
import type { SpeechToText, SttInput } from "../providers/types";
import { sttSetupHint } from "../providers/registry";

export interface Recognized {
  text: string;
  confidence: number;
  source: "text" | "dtmf" | "speech";
  provider?: string;
  region?: string;
}

/**
 * The STT stage. Text and keypad turns need no recognizer; audio is first checked for keypad tones
 * with the embedded DTMF detector, then for any voice energy, and only real speech goes to a
 * configured speech-to-text provider.
 */
export async function recognize(
  payload: TurnPayload,
  language: string,
  stt: readonly SpeechToText[],
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
  const provider = stt[0];
  if (!provider) {
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
  const result = await provider.transcribe(input, signal);
  return { text: result.text, confidence: result.confidence, source: result.source, provider: provider.name, region: provider.region };
}
