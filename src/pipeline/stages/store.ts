import type { DecodedAudio } from "../../audio/decode";
import { encodeWav } from "../../audio/wav";
import type { HistoryEntry, SessionRecord } from "../../call/records";
import type { AudioRef } from "../../storage/call-row";
import type { AgentTurnFigures } from "../../observability/metrics-llm";
import type { LlmUsage } from "../../providers/llm/types";
import type { CallRuntime } from "../call-runtime";
import { JOB_INDEX } from "../lifecycle/archive-jobs";
import { markEnded } from "../lifecycle/end";
import { turnCompletedData, withEvent } from "../events";
import { keyUse } from "../lifecycle/key-use";
import { turnDeltas } from "../metrics";
import type { CallEvent, ReplyChannel, TurnInput, TurnResult } from "../types";
import type { Recognized } from "./recognize";
import type { Masked } from "./redact";
import type { Spoken } from "./speak";
import type { Synthesized } from "./synthesize";

/**
 * Reply audio already in the speech cache is referenced, not copied, when its entry has at least
 * this much of its TTL left: a call is archived within its idle timeout (plus retries) of its last
 * turn, long before that.
 */
const MIN_CACHE_LIFE_LEFT_MS = 86_400_000;

/** What the turn produced, for the store stage. */
export interface TurnRecord {
  input: TurnInput;
  /** The keyed hash of the request (idempotency), "" without an Idempotency-Key. */
  fingerprint: string;
  heard: Recognized;
  masked: Masked;
  /** The flow's next state, and whether it hung up. */
  nextState: string;
  endCall: boolean;
  spoken: Spoken;
  result: TurnResult;
  /** An agent's turn: the model tokens it used, added to the call's count. */
  usage?: LlmUsage | undefined;
  /** An agent's turn: its model and tool figures, for the metrics. */
  agent?: AgentTurnFigures | undefined;
}

/**
 * The store stage: the turn becomes ONE row write in the call's object (the session, the turn's
 * history entries, its reply audio reference, its audit use and its metric deltas), with the
 * caller's audio, the idempotency record and, when the flow hung up, the end in the same
 * transaction. Returns the updated session and, when the call ended, the call_ended event.
 */
export function storeTurn(
  call: CallRuntime,
  session: SessionRecord,
  turn: TurnRecord,
  stream?: ReplyChannel,
): { updated: SessionRecord; ended?: CallEvent } {
  const { input, masked, result } = turn;
  const id = result.turnId;
  const now = new Date().toISOString();
  const updated: SessionRecord = {
    ...session,
    state: turn.nextState,
    context: { ...session.context, ...masked.contextUpdates },
    lastActivityAt: now,
    turnCount: session.turnCount + 1,
    ...(turn.usage ? { llmTokens: addTokens(session.llmTokens, turn.usage) } : {}),
  };
  const userEntry: HistoryEntry = {
    turnId: id,
    role: "user",
    text: masked.heardText,
    at: now,
    source: turn.heard.source,
    intent: masked.intent,
    latencyMs: result.latencyMs,
  };
  // A streamed reply the caller cut short is stored as what was actually played.
  const spokenText = stream?.spokenText(id);
  const replyEntry: HistoryEntry =
    spokenText === undefined
      ? { turnId: id, role: "assistant", text: masked.replyText, at: now }
      : { turnId: id, role: "assistant", text: spokenText, at: now, interrupted: true };
  const toolCalls = result.toolCalls?.map((t) => ({ name: t.name, ok: t.ok }));
  const recorded = withEvent(updated, "turn.completed", turnCompletedData(userEntry, replyEntry, toolCalls), now);
  let ended: CallEvent | undefined;
  call.store.transaction(() => {
    call.store.appendTurn(recorded.session, [userEntry, replyEntry], {
      events: recorded.events,
      refs: replyAudioRefs(call, id, turn.spoken.synth),
      metrics: turnDeltas(result, turn.heard.attempts, turn.spoken.synth?.attempts, turn.agent),
      ...keyUse(input, "call.turn", now),
      // The D1 list view, the audit log and the metrics shards follow turns at most
      // SYNC_INTERVAL_SECONDS (90 s) behind: one sync (and one alarm) per interval of
      // conversation instead of three writes per turn, queued in this same row write. The end
      // syncs at once.
      ...(turn.endCall
        ? {}
        : { enqueueIfAbsent: { job: JOB_INDEX, nextAt: Date.now() + call.config.SYNC_INTERVAL_SECONDS * 1000 } }),
    });
    if (input.payload.kind === "audio" && masked.keepCallerAudio) storeCallerAudio(call, id, input.payload.audio);
    if (input.idempotencyKey)
      call.store.idempotency.put(input.idempotencyKey, turn.fingerprint, JSON.stringify(result));
    if (turn.endCall) ended = markEnded(call, recorded.session, turn.agent ? "agent" : "flow");
  });
  call.flushEvents();
  return ended ? { updated: recorded.session, ended } : { updated: recorded.session };
}

/**
 * A reply's audio for the recording: a reference when the speech cache holds it with most of its
 * TTL left (no second copy, no row), else stored here. Returns the references to keep.
 */
export function replyAudioRefs(call: CallRuntime, id: string, synth: Synthesized | undefined): AudioRef[] {
  if (!synth) return [];
  const a = synth.audio;
  const entry = synth.cacheEntry;
  const format = { turnId: id, kind: "reply" as const, mediaType: a.mediaType, format: a.format };
  if (entry && entry.storedAt + call.config.TTS_CACHE_TTL_SECONDS * 1000 - Date.now() >= MIN_CACHE_LIFE_LEFT_MS) {
    return [{ ...format, sampleRate: a.sampleRate, cacheKey: entry.objectKey }];
  }
  call.store.putAudio({ ...format, sampleRate: a.sampleRate, bytes: a.bytes });
  return [];
}

function storeCallerAudio(call: CallRuntime, id: string, audio: DecodedAudio): void {
  if (audio.kind === "pcm") {
    // Normalised to PCM16 WAV at its own rate: one format for recordings, whatever came in.
    const bytes = encodeWav(audio.samples, audio.sampleRate);
    call.store.putAudio({
      turnId: id,
      kind: "caller",
      mediaType: "audio/wav",
      format: "wav",
      sampleRate: audio.sampleRate,
      bytes,
    });
  } else {
    const { mediaType, container: format, bytes } = audio;
    call.store.putAudio({ turnId: id, kind: "caller", mediaType, format, sampleRate: 0, bytes });
  }
}

function addTokens(sum: SessionRecord["llmTokens"], usage: LlmUsage): NonNullable<SessionRecord["llmTokens"]> {
  return { input: (sum?.input ?? 0) + usage.inputTokens, output: (sum?.output ?? 0) + usage.outputTokens };
}
