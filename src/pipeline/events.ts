/**
 * Events to the tenant's backend, from the call's object (docs/events.md). An event is recorded
 * in the same write as what it tells (the call's start, a turn, the end), in the session row's
 * pending events, so a crash cannot lose it; after the write the object sends the pending events
 * to the EVENTS queue (CallRuntime.flushEvents, and the outbox when that fails), and the queue's
 * consumer delivers them (src/events/). Only the types the tenant's endpoints asked for when the
 * call was created are recorded: a tenant without endpoints costs nothing here.
 */
import type { EventMessage, EventType, TranscriptLine, WebhookEvent } from "../call/events";
import type { HistoryEntry, SessionRecord } from "../call/records";
import type { Config } from "../config/config";
import { errorMessage } from "../lib/errors";
import { maskStrings, redact } from "../security/redaction";
import { log } from "../observability/log";
import type { CallRuntime } from "./call-runtime";

/** The outbox job that retries pending events the queue refused (lifecycle/outbox.ts runs it). */
export const JOB_EVENTS = "events";

/** What one sendBatch may carry: 100 messages and 256 KB in all (Queues' limits), with room for framing. */
const BATCH_MESSAGES = 100;
const BATCH_BYTES = 200_000;
/** A message holds at most 128 KB; a transcript is cut (oldest lines first) to stay under this. */
export const MAX_TRANSCRIPT_BYTES = 96_000;

/**
 * The event `type` with `data`, to record in `session`'s next write, and the session with its
 * sequence advanced; none when the tenant's endpoints did not ask for `type`. The id is made
 * from the call and the sequence (and the call's start, as a call id may be used again once an
 * ended call is archived), so an end that is retried after a crash sends the same event id.
 */
export function withEvent(
  session: SessionRecord,
  type: EventType,
  data: object,
  at = new Date().toISOString(),
): { session: SessionRecord; events: WebhookEvent[] } {
  const hooks = session.webhooks;
  if (!hooks?.types.includes(type)) return { session, events: [] };
  const sequence = hooks.sequence + 1;
  const started = Date.parse(session.createdAt).toString(36);
  const event: WebhookEvent = {
    id: `evt_${session.callId}_${started}_${sequence}`,
    type,
    createdAt: at,
    tenantId: session.tenantId,
    callId: session.callId,
    sequence,
    data: data as Record<string, unknown>,
  };
  return { session: { ...session, webhooks: { ...hooks, sequence } }, events: [event] };
}

/** Several events in order (see withEvent). */
export function withEvents(
  session: SessionRecord,
  items: readonly { type: EventType; data: object }[],
): { session: SessionRecord; events: WebhookEvent[] } {
  let current = session;
  const events: WebhookEvent[] = [];
  for (const item of items) {
    const next = withEvent(current, item.type, item.data);
    current = next.session;
    events.push(...next.events);
  }
  return { session: current, events };
}

/**
 * Sends events to the EVENTS queue, in order, in batches within Queues' limits. Throws when the
 * queue refuses: the caller keeps them pending (the outbox retries).
 */
export async function enqueueEvents(env: Env, events: readonly WebhookEvent[]): Promise<void> {
  let batch: MessageSendRequest<EventMessage>[] = [];
  let bytes = 0;
  for (const event of events) {
    const body: EventMessage = { v: 1, kind: "event", event };
    const size = JSON.stringify(body).length;
    if (batch.length && (batch.length >= BATCH_MESSAGES || bytes + size > BATCH_BYTES)) {
      await env.EVENTS.sendBatch(batch);
      batch = [];
      bytes = 0;
    }
    batch.push({ body, contentType: "json" });
    bytes += size;
  }
  if (batch.length) await env.EVENTS.sendBatch(batch);
}

/** Sends the call's pending events; on success they leave its row with its next write. Throws on failure. */
export async function pushPendingEvents(call: CallRuntime): Promise<void> {
  const pending = call.store.pendingEvents();
  if (!pending.length) return;
  await enqueueEvents(call.env, pending);
  call.store.eventsSent(pending.map((e) => e.id));
}

/** `send` (pushPendingEvents, in the object's order) after an answer: a failure is logged and left to `retry`. */
export async function sendPendingEvents(
  call: CallRuntime,
  send: () => Promise<void>,
  retry: () => Promise<void>,
): Promise<void> {
  try {
    await send();
  } catch (err) {
    logEnqueueFailed(call.store.getSession(), err);
    await retry();
  }
}

/** The queue refused a call's events: they stay with the call, and this line says so. */
export function logEnqueueFailed(session: Pick<SessionRecord, "tenantId" | "callId"> | null, err: unknown): void {
  const ids = { tenantId: session?.tenantId, callId: session?.callId };
  log("events_enqueue_failed", { ...ids, error: errorMessage(err) }, "warn");
}

// ---------------------------------------------------------------- what the events say

/** The call's history as transcript lines: what was stored, so already redacted. */
export function transcriptOf(history: readonly HistoryEntry[]): TranscriptLine[] {
  return history.map((e) => ({
    turnId: e.turnId,
    role: e.role,
    text: e.text,
    at: e.at,
    ...(e.interrupted ? { interrupted: true as const } : {}),
  }));
}

/** Masks cards, codes next to their cue words and REDACT_PATTERNS in a text that leaves in an event. */
export function eventRedactor(config: Config): (text: string) => string {
  return (text) => redact(text, { patterns: config.REDACT_PATTERNS, maxPatternChars: config.MAX_TEXT_CHARS }).text;
}

/** call.started: how the call was set up (its metadata is the client's own, redacted all the same). */
export function startedData(session: SessionRecord, config: Config): object {
  return {
    language: session.language,
    ...(session.agent
      ? { agent: { id: session.agent.agentId, version: session.agent.version } }
      : { flow: session.flow }),
    userId: session.userId,
    metadata: maskStrings(session.metadata, eventRedactor(config)),
    residency: session.residency ?? null,
  };
}

/** turn.completed: the turn's two history entries, as stored (redacted), and its figures. */
export function turnCompletedData(
  user: HistoryEntry,
  reply: HistoryEntry,
  toolCalls: readonly { name: string; ok: boolean }[] | undefined,
): object {
  return {
    turnId: user.turnId,
    source: user.source ?? "text",
    text: user.text,
    reply: reply.text,
    ...(reply.interrupted ? { interrupted: true } : {}),
    ...(user.intent ? { intent: { name: user.intent.name, confidence: user.intent.confidence } } : {}),
    ...(toolCalls?.length ? { toolCalls } : {}),
    latencyMs: user.latencyMs ?? { stt: 0, nlp: 0, tts: 0 },
  };
}

/**
 * call.ended (and recording.ready when the call holds audio): the reason, the length, and the
 * transcript as stored (redacted), cut from the oldest line when it would not fit in a message.
 */
export function endedEvents(
  ended: SessionRecord,
  history: readonly HistoryEntry[],
  hasAudio: boolean,
): { type: EventType; data: object }[] {
  const lines = transcriptOf(history);
  let size = JSON.stringify(lines).length;
  let cut = 0;
  while (size > MAX_TRANSCRIPT_BYTES && cut < lines.length) size -= JSON.stringify(lines[cut++]).length + 1;
  const durationMs = Math.max(0, Date.parse(ended.endedAt ?? ended.lastActivityAt) - Date.parse(ended.createdAt));
  const out: { type: EventType; data: object }[] = [
    {
      type: "call.ended",
      data: {
        reason: ended.endReason ?? "client",
        durationMs,
        turnCount: ended.turnCount,
        transcript: lines.slice(cut),
        ...(cut ? { transcriptTruncated: true } : {}),
      },
    },
  ];
  if (hasAudio) out.push({ type: "recording.ready", data: { path: `/api/v1/calls/${ended.callId}/recording` } });
  return out;
}
