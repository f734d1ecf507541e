/**
 * The small provider interfaces every STT/TTS engine implements, local or cloud. Adapters live in
 * one folder per provider (src/providers/<name>/) and register in src/providers/registry.ts.
 */

export type Container = "ogg" | "webm" | "mp3" | "flac";

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
      /** A compressed container passed through as bytes. */
      kind: "container";
      container: Container;
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
  /** Compressed containers this engine takes as they are (PCM is always accepted). */
  readonly containers: readonly Container[];
  transcribe(input: SttInput, signal?: AbortSignal): Promise<SttResult>;
}

/** What the client will receive: PCM (we encode wav/pcm/mulaw ourselves) or a compressed format. */
export type TtsEncoding = "pcm" | "mp3" | "ogg";

export interface TtsRequest {
  text: string;
  voice?: string;
  language: string;
  /** Sample rate the caller wants; an engine may answer at its native rate and the caller resamples PCM. */
  sampleRate: number;
  /** "pcm" unless the client asked for mp3 or ogg. Defaults to "pcm". */
  encoding?: TtsEncoding;
}

export interface PcmSpeech {
  kind?: "pcm";
  /** Mono linear PCM. */
  samples: Int16Array;
  sampleRate: number;
}

export interface EncodedSpeech {
  kind: "encoded";
  format: "mp3" | "ogg";
  mediaType: string;
  bytes: Uint8Array;
  /** The rate the provider actually encoded at, when it differs from the requested one. */
  sampleRate?: number;
}

export type TtsResult = PcmSpeech | EncodedSpeech;

export interface TextToSpeech {
  readonly name: string;
  readonly region: string;
  /** Encodings this engine can produce; "pcm" is required of every engine. */
  readonly encodings: readonly TtsEncoding[];
  synthesize(req: TtsRequest, signal?: AbortSignal): Promise<TtsResult>;
}
