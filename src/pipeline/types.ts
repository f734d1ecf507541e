import type { EventType } from "../call/events";
import type { DecodedAudio } from "../audio/decode";
import type { PinnedAgent } from "../call/agent";
import type { OutputFormat } from "../call/audio-format";
import type { CallerPosition } from "../call/caller";
import type { CallStatus, EndReason, LatencyMs } from "../call/records";
import type { Residency } from "../call/residency";
import type { RpcTrace } from "../observability/tracing";
import type { SttWord } from "../providers/types";

/** Shapes that cross the Worker ⇄ CallSession RPC boundary (structured-clonable only). */

export interface ReplyOptions {
  /** "text" skips synthesis. */
  mode: "audio" | "text";
  format: OutputFormat;
  sampleRate: number;
}

export interface CreateCallInput extends EventOnRequestLine {
  caller?: CallerPosition;
  tenantId: string;
  callId: string;
  userId: string | null;
  language: string;
  flow: string;
  metadata: Record<string, unknown>;
  context: Record<string, unknown>;
  reply: ReplyOptions;
  residency: Residency | null;
  /** The tenant shard holding the call's slot (security/tenant-shards.ts), given back there when the call ends. */
  slotShard?: string;
  /** The agent version the call runs (the tenant's current one when the call was created); absent: a flow call. */
  agent?: PinnedAgent;
  /** The event types the tenant's webhook endpoints ask for (read when the call is created); absent: none. */
  webhookEvents?: EventType[];
  /** The key id the request used: the call records the use for the audit log (its next sync writes it). */
  actor?: string;
  /** The creating request, for the object's logs (call_started) and spans. */
  requestId?: string;
  trace?: RpcTrace;
}

export type TurnPayload =
  | { kind: "text"; text: string }
  | { kind: "dtmf"; digits: string }
  | { kind: "audio"; audio: DecodedAudio; recognized?: StreamedTranscript };

/**
 * What a streaming recogniser heard in a live turn's audio (src/pipeline/live/recognizer.ts): the
 * turn takes it instead of a batch STT call, and stores the audio as any spoken turn's.
 */
export interface StreamedTranscript {
  text: string;
  confidence: number;
  provider: string;
  region: string;
  words?: SttWord[];
}

export interface TurnInput extends EventOnRequestLine {
  caller?: CallerPosition;
  payload: TurnPayload;
  reply: ReplyOptions;
  idempotencyKey: string | null;
  /** Hash of everything that defines the request, so a reused key with another body is refused. */
  fingerprint: string;
  requestId: string;
  /** The key id the request used: the call records the use for the audit log (its next sync writes it). */
  actor?: string;
  /** The request's trace (its id, and the calling span when tracing is on), continued by the object. */
  trace?: RpcTrace;
}

export interface TurnResult {
  turnId: string;
  transcript: {
    text: string;
    confidence: number;
    source: "text" | "dtmf" | "speech";
    provider?: string;
    region?: string;
  };
  /** Absent for an agent's turn: a model, not an intent, decided. */
  intent?: { name: string; confidence: number; slots: Record<string, string> };
  /** The tools an agent's model used during the turn. */
  toolCalls?: { name: string; arguments: unknown; ok: boolean; latencyMs: number }[];
  /** An agent asked to transfer the caller (on a Twilio call, the bridge dialled the number). */
  transfer?: { number?: string | undefined; status: "dialled" | "requested" | "failed" };
  reply: {
    text: string;
    audio?: {
      format: OutputFormat;
      sampleRate: number;
      base64: string;
      provider: string;
      region: string;
      cache: "hit" | "miss";
    };
  };
  latencyMs: LatencyMs;
  degraded?: string[];
  callStatus: CallStatus;
}

export interface EndResult {
  callId: string;
  status: "ended";
  endedAt: string;
  endReason: EndReason;
  archive: "done" | "pending";
}

/** Errors are returned, not thrown, across RPC so their status and code survive serialization. */
export interface RpcFailure {
  error: { status: number; code: string; detail: string; headers?: Record<string, string> };
}
/**
 * A call event (call_started, turn, call_ended): the log line's name and fields, tenantId and
 * callId included. The pipeline returns the event it caused; the object logs it, or hands it back
 * to the request that asked (EventOnRequestLine) for that request's own line.
 */
export interface CallEvent {
  event: string;
  fields: Record<string, unknown>;
}

/**
 * `event`: the call event the RPC caused, when the caller asked to log it on its own request line (eventOnRequestLine).
 */
export type RpcResult<T> = { ok: T; event?: CallEvent } | RpcFailure;

/**
 * Set by a route that writes the call event this RPC causes (call_started, turn, call_ended) on
 * its own request line: the object hands the event back in the answer instead of printing it.
 */
export interface EventOnRequestLine {
  eventOnRequestLine?: boolean;
}

/** What a turn's pipeline reports back to the stream that asked for it. */
export interface ReplyChannel {
  /** Reply settings for synthesis: the client's format and rate, or text only. */
  readonly replyOptions: ReplyOptions;
  understood(m: {
    turnId: string;
    transcript: { text: string; source: "text" | "dtmf" | "speech" };
    /** Absent for an agent's turn (a model, not an intent, decided). */
    intent?: { name: string; confidence: number } | undefined;
    replyText: string;
  }): void;
  /**
   * An agent's turn as it happens, before `understood`: what the caller said (sent before the model
   * answers), each sentence of the reply as the model writes it (redacted), each tool it used.
   */
  progress(turnId: string, event: TurnProgress): void;
  /**
   * Sends one synthesised sentence (already in the client's format and rate), or with `part` one
   * piece of a sentence streamed as it is synthesised (SentencePart).
   */
  audio(turnId: string, sentence: string, bytes: Uint8Array, part?: SentencePart): void;
  /** True once the caller barged in on this turn's reply: send nothing more. */
  interrupted(turnId: string): boolean;
  /** Aborts when the caller barges in on this turn's reply (or, over HTTP, goes away). */
  interruption(turnId: string): AbortSignal;
  /** Every sentence was sent (or synthesis stopped): `reply_done`, unless the reply was interrupted. */
  replyDone(turnId: string): void;
  /** What was played, when the reply was interrupted before the turn was stored; else undefined. */
  spokenText(turnId: string): string | undefined;
  /** The turn is stored: an interruption from now on revises the stored reply. */
  committed(turnId: string): void;
  /**
   * Resolves when the turn may be stored, rejects (AbortError) when it is to be dropped unstored: a
   * live stream's eager turn (src/pipeline/live/held-reply.ts). Absent: at once.
   */
  confirmed?(turnId: string): Promise<void>;
}

/**
 * A piece of a streamed sentence: "more" (the sentence goes on in the next piece), "end" (its last
 * piece), "cut" (its last piece too: synthesis failed partway, and the rest is never sent). A call
 * without `part` sends a whole sentence at once.
 */
export type SentencePart = "more" | "end" | "cut";

export type TurnProgress =
  | { type: "transcript"; text: string; source: "text" | "dtmf" | "speech" }
  | { type: "reply_delta"; text: string }
  | { type: "tool_call"; name: string; arguments: unknown; ok: boolean; latencyMs: number }
  | { type: "transfer"; number?: string | undefined };
