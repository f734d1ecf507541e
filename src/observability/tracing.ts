/**
 * Tracing with the OpenTelemetry JS SDK (@opentelemetry/api + sdk-trace, spans serialized to
 * OTLP/HTTP JSON by @opentelemetry/otlp-transformer and POSTed with fetch).
 *
 * One tracer provider per invocation (a Worker request, a Durable Object RPC), never registered
 * globally: its spans are collected in memory and exported once, in waitUntil, when the
 * invocation ends, so a turn never waits for the collector, and a collector that fails or hangs
 * (each export is bounded by OTEL_EXPORTER_OTLP_TIMEOUT) costs one console warning. Without
 * OTEL_EXPORTER_OTLP_ENDPOINT nothing is created: every helper here is a no-op.
 *
 * The active span lives in the invocation's scope (src/observability/scope.ts); Durable Object
 * RPC carries it explicitly as a W3C traceparent in the inputs (see rpcTrace), and the object's
 * spans continue that trace.
 */
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Attributes,
  type Span,
} from "@opentelemetry/api";
import { JsonTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes, type Resource } from "@opentelemetry/resources";
import { TracerProvider, type ReadableSpan, type SpanProcessor } from "@opentelemetry/sdk-trace";
import { getConfig } from "../config/config";
import type { AttemptRecord } from "../call/attempts";
import { currentScope, runScope, withScope, type ObsScope } from "./scope";
import { formatTraceparent, newTraceId, parseTraceparent } from "./trace-context";
import { errorMessage } from "../lib/errors";

export { SpanKind };

export interface ObservabilitySettings {
  traces?: { url: string; headers: Record<string, string>; timeoutMs: number; serviceName: string } | undefined;
  sink?: { url: string; auth?: string | undefined; timeoutMs: number } | undefined;
}

/** What is configured; a configuration that does not parse turns both off (the app reports it). */
export function observabilitySettings(env: Env): ObservabilitySettings {
  let config;
  try {
    config = getConfig(env);
  } catch {
    return {};
  }
  return {
    traces: config.OTEL_EXPORTER_OTLP_ENDPOINT
      ? {
          url: tracesUrl(config.OTEL_EXPORTER_OTLP_ENDPOINT),
          headers: config.OTEL_EXPORTER_OTLP_HEADERS,
          timeoutMs: config.OTEL_EXPORTER_OTLP_TIMEOUT,
          serviceName: config.OTEL_SERVICE_NAME,
        }
      : undefined,
    sink: config.LOG_SINK_URL
      ? { url: config.LOG_SINK_URL, auth: config.LOG_SINK_AUTH, timeoutMs: config.OTEL_EXPORTER_OTLP_TIMEOUT }
      : undefined,
  };
}

function tracesUrl(endpoint: string): string {
  const base = endpoint.replace(/\/+$/, "");
  return base.endsWith("/v1/traces") ? base : `${base}/v1/traces`;
}

/** Keeps the invocation's ended spans until they are exported. */
class CollectingProcessor implements SpanProcessor {
  readonly spans: ReadableSpan[] = [];
  onStart(): void {}
  onEnd(span: ReadableSpan): void {
    this.spans.push(span);
  }
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

const resources = new Map<string, Resource>();
function resourceFor(serviceName: string): Resource {
  let r = resources.get(serviceName);
  if (!r) {
    r = resourceFromAttributes({
      "service.name": serviceName,
      "cloud.provider": "cloudflare",
      "cloud.platform": "cloudflare.workers",
    });
    resources.set(serviceName, r);
  }
  return r;
}

function randomSpanId(): string {
  const b = crypto.getRandomValues(new Uint8Array(8));
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

export interface Invocation {
  env: Env;
  /** ctx.waitUntil of the invocation: exports and log posts run there, after the reply. */
  waitUntil: (promise: Promise<unknown>) => void;
  name: string;
  kind: SpanKind;
  attributes?: Attributes | undefined;
  requestId?: string | undefined;
  /** Used when there is no traceparent (a new trace with this id). */
  traceId?: string | undefined;
  traceparent?: string | null | undefined;
  tenantId?: string | undefined;
  callId?: string | undefined;
}

/**
 * Runs one invocation in a fresh scope: its ids for the logs, a root span (child of the
 * traceparent's span, when there is one) when tracing is on, and a log buffer when a sink is
 * configured. Exports run in waitUntil and never throw.
 */
export async function runInvocation<T>(inv: Invocation, fn: (span: Span | undefined) => Promise<T>): Promise<T> {
  const settings = observabilitySettings(inv.env);
  const parent = parseTraceparent(inv.traceparent);
  const traceId = parent?.traceId ?? inv.traceId ?? newTraceId();
  const scope: ObsScope = {
    requestId: inv.requestId,
    traceId,
    tenantId: inv.tenantId,
    callId: inv.callId,
    sink: settings.sink ? [] : undefined,
  };
  let span: Span | undefined;
  let collector: CollectingProcessor | undefined;
  // A client that asked not to sample (flags 00) gets no spans from us either.
  if (settings.traces && (!parent || parent.sampled)) {
    collector = new CollectingProcessor();
    const provider = new TracerProvider({
      resource: resourceFor(settings.traces.serviceName),
      // The request's own trace id (request-context's, or the client's): logs and spans agree.
      idGenerator: { generateTraceId: () => traceId, generateSpanId: randomSpanId },
      spanProcessors: [collector],
    });
    const tracer = provider.getTracer("voice-edge");
    const parentCtx = parent
      ? trace.setSpanContext(ROOT_CONTEXT, {
          traceId,
          spanId: parent.spanId,
          traceFlags: TraceFlags.SAMPLED,
          isRemote: true,
        })
      : ROOT_CONTEXT;
    span = tracer.startSpan(
      inv.name,
      {
        kind: inv.kind,
        attributes: compact({
          ...inv.attributes,
          "voice.request_id": inv.requestId,
          "voice.tenant_id": inv.tenantId,
          "voice.call_id": inv.callId,
        }),
      },
      parentCtx,
    );
    scope.trace = { tracer, ctx: trace.setSpan(parentCtx, span) };
  }
  try {
    return await runScope(scope, () => fn(span));
  } catch (err) {
    markError(span, err);
    throw err;
  } finally {
    span?.end();
    if (collector || scope.sink?.length) inv.waitUntil(flush(settings, collector?.spans ?? [], scope.sink ?? []));
  }
}

async function flush(settings: ObservabilitySettings, spans: ReadableSpan[], lines: string[]): Promise<void> {
  await Promise.all([
    settings.traces && spans.length
      ? exportSpans(settings.traces, spans).catch((err: unknown) => warnOnce("trace_export_failed", err))
      : undefined,
    settings.sink && lines.length
      ? postLines(settings.sink, lines).catch((err: unknown) => warnOnce("log_sink_failed", err))
      : undefined,
  ]);
}

/** One console warning per failed export; never the logger (that would feed the sink again). */
function warnOnce(event: string, err: unknown): void {
  console.warn(JSON.stringify({ event, message: errorMessage(err) }));
}

async function exportSpans(target: NonNullable<ObservabilitySettings["traces"]>, spans: ReadableSpan[]): Promise<void> {
  const body = JsonTraceSerializer.serializeRequest(spans);
  if (!body) return;
  const res = await fetch(target.url, {
    method: "POST",
    headers: { ...target.headers, "content-type": "application/json" },
    body,
    signal: AbortSignal.timeout(target.timeoutMs),
  });
  await res.body?.cancel();
  if (!res.ok) throw new Error(`collector answered ${res.status}`);
}

/** Elasticsearch _bulk: an action line before each document, a newline after the last. */
async function postLines(sink: NonNullable<ObservabilitySettings["sink"]>, lines: string[]): Promise<void> {
  const body = lines.map((l) => `{"index":{}}\n${l}\n`).join("");
  const res = await fetch(sink.url, {
    method: "POST",
    headers: { "content-type": "application/x-ndjson", ...(sink.auth ? { authorization: sink.auth } : {}) },
    body,
    signal: AbortSignal.timeout(sink.timeoutMs),
  });
  await res.body?.cancel();
  if (!res.ok) throw new Error(`log sink answered ${res.status}`);
}

function compact(attrs: Record<string, unknown>): Attributes {
  const out: Attributes = {};
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) out[k] = v as Attributes[string];
  return out;
}

/** Marks a span failed with the error's name only: messages may quote provider answers. */
function markError(span: Span | undefined, err: unknown): void {
  if (!span) return;
  const type = err instanceof Error ? err.name : typeof err;
  span.setAttribute("error.type", type);
  span.setStatus({ code: SpanStatusCode.ERROR, message: type });
}

/** Runs fn in a child span of the active one (or just runs it when tracing is off). */
export async function inSpan<T>(
  name: string,
  attributes: Record<string, unknown>,
  fn: (span: Span | undefined) => Promise<T>,
  kind: SpanKind = SpanKind.INTERNAL,
): Promise<T> {
  const t = currentScope()?.trace;
  if (!t) return fn(undefined);
  const span = t.tracer.startSpan(name, { kind, attributes: compact(attributes) }, t.ctx);
  try {
    return await withScope({ trace: { tracer: t.tracer, ctx: trace.setSpan(t.ctx, span) } }, () => fn(span));
  } catch (err) {
    markError(span, err);
    throw err;
  } finally {
    span.end();
  }
}

/** Sets attributes (and optionally a better name) on the active span; a no-op when tracing is off. */
export function setSpanAttributes(attributes: Record<string, unknown>, name?: string): void {
  const t = currentScope()?.trace;
  const span = t ? trace.getSpan(t.ctx) : undefined;
  if (!span) return;
  span.setAttributes(compact(attributes));
  if (name) span.updateName(name);
}

/**
 * One span per provider attempt (calls, retries, skips and cache hits), as the routing layer
 * records it: provider, region, attempt number (0 for skips and cache hits), outcome.
 */
export function traceAttempt(a: AttemptRecord): void {
  const t = currentScope()?.trace;
  if (!t) return;
  const end = Date.now();
  const span = t.tracer.startSpan(
    "provider.attempt",
    {
      kind: a.attempt > 0 ? SpanKind.CLIENT : SpanKind.INTERNAL,
      startTime: end - a.ms,
      attributes: compact({
        "voice.provider": a.provider,
        "voice.region": a.region,
        "voice.attempt": a.attempt,
        "voice.outcome": a.outcome,
        "error.type": a.errorKind,
        "http.response.status_code": a.status,
        "voice.retry_after_ms": a.retryAfterMs,
        "voice.waited_ms": a.waitedMs,
        "voice.probe": a.probe,
      }),
    },
    t.ctx,
  );
  if (a.outcome === "failed" || a.outcome === "timeout")
    span.setStatus({ code: SpanStatusCode.ERROR, message: a.errorKind ?? a.outcome });
  span.end(end);
}

/** What a Durable Object RPC input carries so the object's logs and spans join this request's. */
export interface RpcTrace {
  traceId: string;
  /** The calling span, when tracing is on. */
  traceparent?: string;
}

export function rpcTrace(): RpcTrace | undefined {
  const scope = currentScope();
  if (!scope?.traceId) return undefined;
  const active = scope.trace ? trace.getSpan(scope.trace.ctx)?.spanContext() : undefined;
  return {
    traceId: scope.traceId,
    ...(active ? { traceparent: formatTraceparent(active.traceId, active.spanId) } : {}),
  };
}

/**
 * A Durable Object RPC from the Worker, in a client span; fn gets the trace to put in the RPC's
 * input (RPC carries no trace context itself), so the object's span is this span's child.
 */
export function rpcCall<T>(method: string, fn: (trace: RpcTrace | undefined) => Promise<T>): Promise<T> {
  return inSpan(
    `CallSession.${method} rpc`,
    { "rpc.system": "cloudflare_durable_object_rpc", "rpc.service": "CallSession", "rpc.method": method },
    () => fn(rpcTrace()),
    SpanKind.CLIENT,
  );
}
