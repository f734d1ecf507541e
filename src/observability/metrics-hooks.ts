/**
 * The one-line hooks the call lifecycle calls. None of them throws or waits: global counters are
 * updated through waitUntil, isolate metrics in memory, Analytics Engine by a fire-and-forget write.
 */
import type { TurnPayload, TurnResult } from "../durable/call-types";
import type { AttemptRecord } from "../routing/attempts";
import { addGlobal, callEnded, callStarted, httpError, ttsCacheResult, turnDone, turnLatencyDeltas, type TurnOutcome, type TurnSource } from "./metrics-global";
import { log } from "./log";

type Ctx = { waitUntil(p: Promise<unknown>): void };

function guarded(event: string, f: () => void): void {
  try {
    f();
  } catch (err) {
    log("metrics_hook_failed", { hook: event, message: err instanceof Error ? err.message : String(err) }, "warn");
  }
}

/** A call created; its greeting's synthesis (when spoken) consulted the speech cache. */
export function recordCallStarted(env: Env, ctx: Ctx, greetingCache?: "hit" | "miss"): void {
  guarded("call_started", () => addGlobal(env, ctx, { ...callStarted(), ...(greetingCache ? ttsCacheResult(greetingCache) : {}) }));
}

export function recordCallEnded(env: Env, ctx: Ctx, reason: string): void {
  guarded("call_ended", () => addGlobal(env, ctx, callEnded(reason)));
}

/** An error answer, by problem code (every problem response passes through app.ts). */
export function recordHttpError(env: Env, ctx: Ctx, status: number, code: string): void {
  if (status >= 400) guarded("http_error", () => addGlobal(env, ctx, httpError(status, code)));
}

/** A synthesis outside a call (POST /voice/synthesize) that consulted the speech cache. */
export function recordTtsCache(env: Env, ctx: Ctx, result: "hit" | "miss"): void {
  guarded("tts_cache", () => addGlobal(env, ctx, ttsCacheResult(result)));
}

export function turnSourceOf(payload: TurnPayload): TurnSource {
  return payload.kind === "audio" ? "speech" : payload.kind;
}

/** A turn request that failed (the call ended or is unknown, a bad request, a provider outage). */
export function recordTurnFailed(env: Env, ctx: Ctx, payload: TurnPayload): void {
  guarded("turn_failed", () => addGlobal(env, ctx, turnDone(turnSourceOf(payload), "error")));
}

/**
 * A turn that was answered: global count by source and outcome, stage and provider latency
 * histograms and cache result, and one Analytics Engine data point (the only place per-tenant
 * figures go).
 */
export function recordTurn(
  env: Env,
  ctx: Ctx,
  tenantId: string,
  result: TurnResult,
  sttAttempts?: readonly AttemptRecord[],
  ttsAttempts?: readonly AttemptRecord[],
): void {
  guarded("turn", () => {
    const source = result.transcript.source;
    const outcome: TurnOutcome = result.degraded?.length ? "degraded" : "ok";
    // One shard update per turn: its count, stage and provider latencies, and the cache result.
    const cache = result.reply.audio?.cache;
    addGlobal(env, ctx, {
      ...turnDone(source, outcome),
      ...turnLatencyDeltas(result.latencyMs, { stt: source === "speech", tts: Boolean(result.reply.audio) || Boolean(ttsAttempts?.length) }, { stt: sttAttempts, tts: ttsAttempts }),
      ...(cache ? ttsCacheResult(cache) : {}),
    });
    writeTurnDataPoint(env, tenantId, source, outcome, result);
  });
}

/**
 * Workers Analytics Engine, when the ANALYTICS binding exists: one point per turn, indexed (and
 * so sampled) by tenant. blobs: tenant, source, outcome, STT provider, TTS provider; doubles: STT,
 * NLP, TTS and total ms. Query it with the SQL API (`SELECT blob1, quantileWeighted(0.95)(double4,
 * _sample_interval) ... FROM voice_edge_turns GROUP BY blob1`).
 */
export function writeTurnDataPoint(env: Env, tenantId: string, source: TurnSource, outcome: TurnOutcome, result: TurnResult): void {
  const analytics = (env as { ANALYTICS?: AnalyticsEngineDataset }).ANALYTICS;
  if (!analytics?.writeDataPoint) return;
  const l = result.latencyMs;
  analytics.writeDataPoint({
    indexes: [tenantId],
    blobs: [tenantId, source, outcome, result.transcript.provider ?? "", result.reply.audio?.provider ?? ""],
    doubles: [l.stt, l.nlp, l.tts, l.total],
  });
}
