/**
 * The small provider interfaces every STT/TTS engine implements, local or cloud.
 * Later adapters (Polly, Google, Azure, Deepgram, OpenAI-compatible, Workers AI) plug in here.
 */

/** Audio handed to a speech-to-text engine, already validated by src/audio. */
export type SttInput =
  | {
      /** Decoded linear PCM, mono. */
      kind: "pcm";
      samples: Int16Array;
      sampleRate: number;
      language: string;
    }
  | {
      /** A compressed container (ogg, webm, mp3, flac) passed through as bytes. */
      kind: "container";
      container: "ogg" | "webm" | "mp3" | "flac";
      mediaType: string;
      bytes: Uint8Array;
      language: string;
    };

export interface SttWord {
  word: string;
  startMs: number;
  endMs: number;
  confidence: number;
}

export interface SttResult {
  text: string;
  confidence: number;
  /** "dtmf" when the engine heard keypad tones rather than speech. */
  source: "speech" | "dtmf";
  words?: SttWord[];
}

export interface SpeechToText {
  readonly name: string;
  readonly region: string;
  transcribe(input: SttInput, signal?: AbortSignal): Promise<SttResult>;
}

export interface TtsRequest {
  text: string;
  voice?: string;
  language: string;
  /** Sample rate the caller wants; the engine may synthesize at its native rate and the caller resamples. */
  sampleRate: number;
}

export interface TtsResult {
  /** Mono linear PCM. */
  samples: Int16Array;
  sampleRate: number;
}

export interface TextToSpeech {
  readonly name: string;
  readonly region: string;
  synthesize(req: TtsRequest, signal?: AbortSignal): Promise<TtsResult>;
}
