import type { AttemptRecord } from "../call/attempts";
import type { SessionRecord } from "../call/records";
import type { RedactionCounts } from "../security/redaction";
import type { CallEvent, TurnResult } from "./types";

/**
 * The turn's log line (`turn`): which provider and region served each stage, how many provider
 * calls that took (more than one means retries or failover), the stage latencies and any
 * degradation. It never carries caller text: what was masked is given as kinds and counts.
 */
export function turnEvent(
  requestId: string,
  session: SessionRecord,
  result: TurnResult,
  attempts: { stt?: readonly AttemptRecord[] | undefined; tts?: readonly AttemptRecord[] | undefined },
  redacted: RedactionCounts = {},
): CallEvent {
  const audio = result.reply.audio;
  return {
    event: "turn",
    fields: {
      requestId,
      tenantId: session.tenantId,
      callId: session.callId,
      turnId: result.turnId,
      source: result.transcript.source,
      stt: stage(result.transcript.provider, result.transcript.region, attempts.stt),
      tts: audio ? { ...stage(audio.provider, audio.region, attempts.tts), cache: audio.cache } : undefined,
      latencyMs: result.latencyMs,
      degraded: result.degraded,
      residency: session.residency ?? undefined,
      redacted: Object.keys(redacted).length ? redacted : undefined,
    },
  };
}

function stage(
  provider: string | undefined,
  region: string | undefined,
  attempts: readonly AttemptRecord[] | undefined,
) {
  if (!provider) return undefined;
  const failover = new Set(attempts?.map((a) => `${a.provider}@${a.region}`)).size > 1;
  return { provider, region, attempts: attempts?.length ?? 1, failover };
}
