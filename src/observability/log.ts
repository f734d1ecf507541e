/**
 * Structured logs: one JSON object per line, `event` first (bench/faults.mjs finds lines by their
 * `{"event":"` prefix), then the invocation's requestId, traceId, tenantId and callId where known
 * (from the scope, src/observability/scope.ts), then the event's own fields.
 *
 * Lines never carry audio, secrets or caller text: callers pass ids, counts and summaries only
 * (a turn logs redaction counts, never the transcript). As a last guard, digit runs shaped like a
 * card number are masked in every string value. With LOG_SINK_URL set, the invocation's lines are
 * also posted to the sink (Elasticsearch _bulk) in waitUntil when it ends (see tracing.ts).
 *
 * One line per request: a request that causes a call event (creating a call, a turn, ending it)
 * writes that event as its own line, with the request's fields on it (src/http/middleware/
 * request-context.ts), rather than a request line and an event line: the call's object returns the
 * event in its RPC answer for that (src/durable/call-session.ts). Events no request caused
 * (streamed turns, idle timeouts, archives, failovers) are printed by whoever sees them. Workers
 * Logs bills every line.
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
  const line = withDefined(
    { event, requestId: scope?.requestId, traceId: scope?.traceId, tenantId: scope?.tenantId, callId: scope?.callId },
    fields,
  );
  const text = JSON.stringify(line, scrub);
  if (level === "error") console.error(text);
  else if (level === "warn") console.warn(text);
  else console.log(text);
  if (scope?.sink)
    scope.sink.push(JSON.stringify({ "@timestamp": new Date().toISOString(), level, ...JSON.parse(text) }));
}

/** `base` with the defined ones of `fields` added after it (a line's ids first, then its own fields). */
function withDefined(base: Record<string, unknown>, fields: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) base[k] = v;
  return base;
}
