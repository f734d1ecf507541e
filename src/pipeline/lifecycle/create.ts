import type { PinnedAgent } from "../../call/agent";
import type { SessionRecord } from "../../call/records";
import { turnIdOf } from "../../call/records";
import { ApiError, errorMessage } from "../../lib/errors";
import { log } from "../../observability/log";
import { addToShards, namespaceOf } from "../../observability/metrics-global";
import { recordSlotShard } from "./release-job";
import { indexCall } from "../../storage/warm-store";
import { activeSession, type CallRuntime } from "../call-runtime";
import { callStartedDeltas } from "../metrics";
import { speak } from "../stages/speak";
import { replyAudioRefs } from "../stages/store";
import { engineFor } from "../stages/understand";
import type { CallEvent, CreateCallInput, TurnResult } from "../types";
import { JOB_INDEX } from "./archive-jobs";
import { keyUse } from "./key-use";
import { drainOutbox, reschedule } from "./outbox";
import { startedData, withEvent } from "../events";

/** What starting a call answers: the session, the greeting (spoken unless text was asked for). */
export interface Created {
  session: SessionRecord;
  greeting: { text: string; audio?: TurnResult["reply"]["audio"] };
  degraded?: string[];
}

/**
 * Starts the call in this (empty) object: the flow's greeting is spoken, the session and the
 * greeting are stored in one row, the call is indexed in D1 and counted on a metrics shard at once.
 * Returns the answer and the call_started event.
 */
export async function createCall(
  call: CallRuntime,
  input: CreateCallInput,
): Promise<{ result: Created; event: CallEvent }> {
  if (call.store.getSession()) {
    const detail = `A call with id '${input.callId}' already exists; choose another callId or omit it.`;
    throw new ApiError(409, "call_exists", detail);
  }
  const agent = input.agent ?? null;
  const greet = opening(input, agent);
  const now = new Date().toISOString();
  const owner = { tenantId: input.tenantId, residency: input.residency };
  const spoken = await speak(call, greet.reply, input.language, input.reply, owner, input.caller);
  const session: SessionRecord = {
    tenantId: input.tenantId,
    callId: input.callId,
    userId: input.userId,
    language: input.language,
    flow: input.flow,
    state: greet.nextState,
    context: input.context,
    metadata: input.metadata,
    status: "active",
    endReason: null,
    createdAt: now,
    lastActivityAt: now,
    endedAt: null,
    turnCount: 0,
    archivedAt: null,
    residency: input.residency,
    ...(agent ? { agent: { agentId: agent.agentId, version: agent.version } } : {}),
    ...(input.webhookEvents?.length ? { webhooks: { types: [...input.webhookEvents], sequence: 0 } } : {}),
  };
  const id = turnIdOf(0);
  const { session: recorded, events } = withEvent(session, "call.started", startedData(session, call.config), now);
  call.store.transaction(() => {
    recordSlotShard(call, input.slotShard);
    if (agent) call.store.putAgent(agent);
    const started = {
      metrics: callStartedDeltas(spoken.audio?.cache),
      ...keyUse(input, "call.create", now),
      events,
    };
    // A model agent without a greeting waits for the caller: the call starts with no turn-0 entry.
    if (!greet.reply) call.store.putSession(recorded, started);
    else
      call.store.appendTurn(recorded, [{ turnId: id, role: "assistant", text: greet.reply, at: now }], {
        refs: replyAudioRefs(call, id, spoken.synth),
        ...started,
      });
  });
  call.flushEvents();
  const synth = spoken.synth;
  const event: CallEvent = {
    event: "call_started",
    fields: {
      tenantId: session.tenantId,
      callId: session.callId,
      flow: session.flow,
      ...(agent ? { agentId: agent.agentId, agentVersion: agent.version } : {}),
      language: session.language,
      residency: session.residency ?? undefined,
      greeting: synth ? { provider: synth.provider, region: synth.region, cache: synth.cache } : undefined,
      degraded: spoken.degraded,
    },
  };
  // List views read D1: index the new call now (its row only: the create's audit use goes
  // with the first sync, which the first turn queues, or the archive), and leave it to a
  // queued sync if D1 is down. Its start goes to a shard now too, so "calls now" counts it
  // from the start (awaited before a sync could send it again).
  const [indexed] = await Promise.allSettled([
    indexCall(call.env.DB, session),
    countStart(call, callStartedDeltas(spoken.audio?.cache)),
  ]);
  if (indexed.status === "rejected") {
    log("index_deferred", { error: errorMessage(indexed.reason) }, "warn");
    call.store.enqueueIfAbsent(JOB_INDEX, Date.now());
    await drainOutbox(call);
  }
  await reschedule(call);
  const greeting = { text: greet.reply, ...(spoken.audio ? { audio: spoken.audio } : {}) };
  return { result: { session, greeting, ...(spoken.degraded ? { degraded: [spoken.degraded] } : {}) }, event };
}

/**
 * What a new call says first, and the state it starts in. A flow (built-in, or the agent's
 * uploaded one) greets with its greeting, unless the agent has its own; a model agent speaks its
 * greeting, or nothing (the reply is then empty and no greeting is stored).
 */
function opening(input: CreateCallInput, agent: PinnedAgent | null): { reply: string; nextState: string } {
  const own = agent?.definition.greeting;
  if (agent && agent.definition.flow === undefined) return { reply: own ?? "", nextState: "" };
  const { engine, initialState } = engineFor(input, agent);
  if (own !== undefined) return { reply: own, nextState: initialState };
  return engine.greeting({ state: initialState, context: input.context });
}

/** Merges a client's context patch into the active call's context (PATCH /calls/{callId}). */
export async function patchContext(call: CallRuntime, patch: Record<string, unknown>): Promise<SessionRecord> {
  const session = activeSession(call);
  const context = { ...session.context };
  // JSON merge-patch semantics (RFC 7386, one level): null removes a key.
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete context[k];
    else context[k] = v;
  }
  const max = call.config.MAX_CONTEXT_BYTES;
  if (new TextEncoder().encode(JSON.stringify(context)).byteLength > max) {
    const detail = `The merged context would exceed ${max} bytes of JSON; remove keys or send smaller values.`;
    throw new ApiError(413, "payload_too_large", detail);
  }
  const updated: SessionRecord = { ...session, context, lastActivityAt: new Date().toISOString() };
  call.store.putSession(updated);
  await reschedule(call);
  return updated;
}

/**
 * Sends a new call's figures (its start, the greeting's cache result) to a shard at once rather
 * than with its first sync, SYNC_INTERVAL_SECONDS after its first turn: voice_calls_active
 * counts the call from its start. They stay pending if the shard cannot be reached (the sync
 * sends them then).
 */
async function countStart(call: CallRuntime, deltas: Record<string, number>): Promise<void> {
  const namespace = namespaceOf(call.env);
  if (!namespace) return;
  try {
    await addToShards({ namespace }, deltas);
    call.store.sentAhead(deltas);
  } catch (err) {
    log("metrics_update_failed", { message: errorMessage(err) }, "warn");
  }
}
