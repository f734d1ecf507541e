/**
 * Structured logs: one JSON object per line, `event` first (bench/faults.mjs finds lines by their
 * `{"event":"` prefix), then the invocation's requestId, traceId, tenantId and callId where known
 * (from the scope, src/observability/scope.ts), then the event's own fields.
 *
 * Lines never carry audio, secrets or caller text: callers pass ids, counts and summaries only
 * (a turn logs redaction counts, never the transcript). As a last guard, digit runs shaped like a
 * card number are masked in every string value. With LOG_SINK_URL set, the invocation's lines are
 * also posted to the sink (Elasticsearch _bulk) in waitUntil when it ends (see tracing.ts).
 */
import { currentScope } from "./scope";

export type LogLevel = "info" | "warn" | "error";

const CARD_LIKE = /\b\d(?:[ -]?\d){12,18}\b/g;
const IDS = new Set(["requestId", "traceId", "tenantId", "callId"]);

function scrub(this: unknown, key: string, value: unknown): unknown {
  if (typeof value === "string" && !IDS.has(key)) return value.replace(CARD_LIKE, "[redacted card]");
  return value;
}

export function log(event: string, fields: Record<string, unknown> = {}, level: LogLevel = "info"): void {
  const scope = currentScope();
  const line: Record<string, unknown> = { event, requestId: scope?.requestId, traceId: scope?.traceId, tenantId: scope?.tenantId, callId: scope?.callId };
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) line[k] = v;
  const text = JSON.stringify(line, scrub);
  if (level === "error") console.error(text);
  else if (level === "warn") console.warn(text);
  else console.log(text);
  if (scope?.sink) scope.sink.push(JSON.stringify({ "@timestamp": new Date().toISOString(), level, ...JSON.parse(text) }));
}
