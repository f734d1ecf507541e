/**
 * Events to the customer's backend (docs/events.md): what a call's object records, what travels
 * on the EVENTS queue, and what an endpoint receives, signed with Standard Webhooks.
 *
 *   call's object ──(in the write that records what happened)──► session row, pending events
 *        └─ after the write ─► EVENTS queue  { kind: "event" }
 *   queue consumer ─► D1 (event, one delivery per subscribed endpoint) ─► POST to each endpoint
 *        └─ failed ─► EVENTS queue { kind: "delivery" } retried with backoff for 24 h, then failed
 */

export const EVENT_TYPES = [
  "call.started",
  "turn.completed",
  "call.ended",
  "recording.ready",
  "call.analyzed",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** The envelope every endpoint receives (the contract's "Events to your backend"). */
export interface WebhookEvent<D extends object = Record<string, unknown>> {
  /** `evt_` + random; also the `webhook-id` header, unchanged across retries. */
  id: string;
  type: EventType;
  createdAt: string;
  tenantId: string;
  callId: string;
  /** Increases by one per event of the call, from 1. */
  sequence: number;
  data: D;
}

/** What a speaker said in a transcript sent out: already redacted (cards, codes, REDACT_PATTERNS). */
export interface TranscriptLine {
  turnId: string;
  role: "user" | "assistant";
  text: string;
  at: string;
  interrupted?: true;
}

export interface CallStartedData {
  language: string;
  /** The flow (name) driving the call, or the agent and its pinned version. */
  flow?: string;
  agent?: { id: string; version: number };
  userId: string | null;
  metadata: Record<string, unknown>;
  residency: "eu" | null;
}

export interface TurnCompletedData {
  turnId: string;
  source: "text" | "dtmf" | "speech";
  /** The caller's words, redacted. */
  text: string;
  /** The reply, redacted. */
  reply: string;
  intent?: { name: string; confidence: number };
  toolCalls?: { name: string; ok: boolean }[];
  latencyMs: { stt: number; nlp: number; tts: number };
}

export interface CallEndedData {
  reason: string;
  durationMs: number;
  turnCount: number;
  transcript: TranscriptLine[];
}

/**
 * A recording exists. `path` is the recording route; the consumer adds, at each delivery attempt,
 * a short-lived signed `url` to it (and its `expiresAt`), never the audio.
 */
export interface RecordingReadyData {
  path: string;
  url?: string;
  expiresAt?: string;
}

export interface CallAnalyzedData {
  summary?: string;
  data?: Record<string, unknown>;
  success?: boolean;
}

/** A message on the EVENTS queue. */
export type EventMessage =
  /** An event as the call's object recorded it: the consumer stores it and fans it out to the endpoints. */
  | { v: 1; kind: "event"; event: WebhookEvent }
  /** One endpoint's delivery of a stored event, retried with Queues' delays (or asked for by POST …/retry). */
  | { v: 1; kind: "delivery"; tenantId: string; endpointId: string; eventId: string };
