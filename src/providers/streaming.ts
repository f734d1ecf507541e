import type { ProviderError } from "./errors";
import type { SttWord, TtsRequest } from "./types";

/**
 * The streaming counterparts of SpeechToText and TextToSpeech (types.ts): recognition over one
 * outbound WebSocket per caller turn, fed audio as it arrives and reporting transcripts and the
 * provider's own end of turn; synthesis that hands back audio chunks as the provider sends them.
 * A provider module offers them next to its batch engines (settings.ts `sttStream`, `ttsStream`);
 * the batch engines stay the fallback when a stream fails.
 */

/** What a recognition stream reports, in the order the provider sent it. */
export type SttStreamEvent =
  /** A partial hypothesis of what the caller is saying; the next one replaces it. */
  | { type: "interim"; text: string }
  /** A stretch of speech the provider will not revise any more; not yet the end of the turn. */
  | { type: "segment"; text: string; confidence: number; words?: SttWord[] }
  /** The provider heard speech start (barge-in, before any words). */
  | { type: "speech_started" }
  /** The turn is probably over (Flux EagerEndOfTurn): a reply may be prepared, not yet spoken. */
  | { type: "eager_end_of_turn"; text: string }
  /** The caller went on after an eager end of turn: drop what was prepared. */
  | { type: "turn_resumed" }
  /** The provider says the caller's turn is over; `text` is the whole turn's transcript. */
  | { type: "end_of_turn"; text: string; confidence: number; words?: SttWord[] }
  /**
   * The stream failed (a provider error event, a dropped socket, a close code other than normal):
   * no more events follow. The caller replays its buffered audio to the batch chain.
   */
  | { type: "error"; error: ProviderError };

export interface SttStreamOptions {
  language: string;
  /** The rate of the PCM `send` receives; an adapter resamples when its provider takes another. */
  sampleRate: number;
  signal?: AbortSignal;
  /**
   * Called once when the provider accepted the socket (the handshake is done; `open` resolves
   * before it, so that audio can be sent at once). A refused or unanswered upgrade is an `error`
   * event instead, and a stream closed before its handshake reports neither.
   */
  onOpen?: () => void;
}

/** One open recognition stream. */
export interface SttStream {
  /** Mono 16-bit PCM at the options' rate, sent as it arrives (never awaited: buffered by the socket). */
  send(samples: Int16Array): void;
  /**
   * Asks the provider to finish what it heard (Deepgram `Finalize`/`CloseStream`, …) and resolves
   * once it has answered with its last events or the close handshake is done, within a bound.
   */
  finish(): Promise<void>;
  /** Closes at once (normal close code), sending nothing more; idempotent. */
  close(): void;
}

export interface StreamingSpeechToText {
  readonly name: string;
  readonly region: string;
  /** Whether the provider reports `eager_end_of_turn`/`turn_resumed` (Flux). */
  readonly eagerEndOfTurn: boolean;
  /** Opens the provider's socket; events arrive through `onEvent` until `error` or close. */
  open(options: SttStreamOptions, onEvent: (event: SttStreamEvent) => void): Promise<SttStream>;
}

/** A piece of synthesised speech, mono 16-bit PCM, as soon as the provider sent it. */
export interface PcmChunk {
  samples: Int16Array;
  sampleRate: number;
}

export interface StreamingTextToSpeech {
  readonly name: string;
  readonly region: string;
  /**
   * Synthesises `req.text` as PCM (`req.encoding` is ignored: streamed speech is PCM), yielding
   * chunks as the provider sends them; the first chunk must not wait for the provider to finish.
   * Errors before the first chunk are ProviderErrors classified as for `synthesize`.
   */
  stream(req: TtsRequest, signal?: AbortSignal): AsyncIterable<PcmChunk>;
}
