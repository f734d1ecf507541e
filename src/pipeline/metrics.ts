/**
 * The one-line metric hooks of a call's life. None of them throws or waits: global counters are
 * updated through waitUntil (or kept with the call for its next sync), Analytics Engine by a
 * fire-and-forget write.
 */
import type { TurnPayload, TurnResult } from "./types";
import type { AttemptRecord } from "../call/attempts";
import {
  addGlobal,
  histogramDeltas,
  callEnded,
  callStarted,
  ttsCacheResult,
  turnDone,
  turnLatencyDeltas,
  type TurnOutcome,
  type TurnSource,
} from "../observability/metrics-global";

import { guarded, type WaitUntil } from "../observability/metric-hooks";
import { agentTurnDeltas, type AgentTurnFigures } from "../observability/metrics-llm";

/**
 * The deltas of a call's life that its Durable Object keeps with its session row and sends to the
 * shards with its next sync (src/pipeline/lifecycle/archive-jobs.ts flushPending, at most SYNC_INTERVAL_SECONDS
 * behind): one shard update per interval of conversation instead of one a turn, and exact, because
 * the figures are stored in the same transaction as the turn they count. A call's start is also
 * sent at once, at create (CallSession.countStart), so "calls now" counts it from its first second.
 */
export function callStartedDeltas(greetingCache?: "hit" | "miss"): Record<string, number> {
  return { ...callStarted(), ...(greetingCache ? ttsCacheResult(greetingCache) : {}) };
}

/** A call erased while active: it has no sync left to carry the count, so it goes straight to a shard. */
export function recordCallErased(env: Env, ctx: WaitUntil): void {
  guarded("call_ended", () => addGlobal(env, ctx, callEnded("erased")));
}

export function turnSourceOf(payload: TurnPayload): TurnSource {
  return payload.kind === "audio" ? "speech" : payload.kind;
}

/** A turn request that failed (the call ended or is unknown, a bad request, a provider outage). */
export function recordTurnFailed(env: Env, ctx: WaitUntil, payload: TurnPayload): void {
  guarded("turn_failed", () => addGlobal(env, ctx, turnDone(turnSourceOf(payload), "error")));
}

/** A turn that was answered: its count by source and outcome, stage and provider latencies, cache result. */
export function turnDeltas(
  result: TurnResult,
  sttAttempts?: readonly AttemptRecord[],
  ttsAttempts?: readonly AttemptRecord[],
  agent?: AgentTurnFigures,
): Record<string, number> {
  const source = result.transcript.source;
  const cache = result.reply.audio?.cache;
  return {
    ...(agent ? agentTurnDeltas(agent, histogramDeltas) : {}),
    ...turnDone(source, turnOutcome(result)),
    ...turnLatencyDeltas(
      result.latencyMs,
      { stt: source === "speech", tts: Boolean(result.reply.audio) || Boolean(ttsAttempts?.length) },
      { stt: sttAttempts, tts: ttsAttempts },
    ),
    ...(cache ? ttsCacheResult(cache) : {}),
  };
}

export function turnOutcome(result: TurnResult): TurnOutcome {
  return result.degraded?.length ? "degraded" : "ok";
}

/**
 * Workers Analytics Engine, when the ANALYTICS binding exists: one point per turn, indexed (and
 * so sampled) by tenant. blobs: tenant, source, outcome, STT provider, TTS provider; doubles: STT,
 * NLP, TTS and total ms. Query it with the SQL API (`SELECT blob1, quantileWeighted(0.95)(double4,
 * _sample_interval) ... FROM voice_edge_turns GROUP BY blob1`).
 */
export function writeTurnDataPoint(
  env: Env,
  tenantId: string,
  source: TurnSource,
  outcome: TurnOutcome,
  result: TurnResult,
): void {
  const analytics = (env as { ANALYTICS?: AnalyticsEngineDataset }).ANALYTICS;
  if (!analytics?.writeDataPoint) return;
  const l = result.latencyMs;
  analytics.writeDataPoint({
    indexes: [tenantId],
    blobs: [tenantId, source, outcome, result.transcript.provider ?? "", result.reply.audio?.provider ?? ""],
    doubles: [l.stt, l.nlp, l.tts, l.total],
  });
}
