import { consumeEvents } from "./events/consumer";
import { createApp } from "./http/app";
import { runInvocation, SpanKind } from "./observability/tracing";
import { requestIdFrom } from "./observability/trace-context";
import { PROBE_CRON, runProbes } from "./routing/probe";
import { runRetention } from "./storage/retention";

export { CallSession } from "./durable/call-session";
export { TenantLimits } from "./durable/tenant-limits";
export { TenantShard } from "./durable/tenant-shard";
export { MetricsShard } from "./durable/metrics-shard";

const app = createApp();

export default {
  /**
   * Every request runs as one traced invocation (src/observability/tracing.ts): a server span
   * continuing the client's traceparent, exported in waitUntil when OTEL_EXPORTER_OTLP_ENDPOINT
   * is set, and the request's log lines posted to LOG_SINK_URL when that is set.
   */
  fetch(request: Request, env: Env, ctx: ExecutionContext) {
    return runInvocation(
      {
        env,
        waitUntil: (p) => ctx.waitUntil(p),
        name: `${request.method} request`,
        kind: SpanKind.SERVER,
        attributes: { "http.request.method": request.method, "url.path": new URL(request.url).pathname },
        requestId: requestIdFrom(request.headers.get("X-Request-Id")),
        traceparent: request.headers.get("traceparent"),
      },
      async () => app.fetch(request, env, ctx),
    );
  },
  /**
   * Cron triggers (wrangler.toml [triggers]): the 5-minute one (PROBE_CRON) probes the configured
   * providers, unless PROVIDER_PROBES is off; the daily "17 3 * * *", and any other, runs retention.
   */
  async scheduled(controller, env, ctx) {
    const at = new Date(controller.scheduledTime);
    ctx.waitUntil(controller.cron === PROBE_CRON ? runProbes(env, at) : runRetention(env, at));
  },
  /**
   * The EVENTS queue and its dead-letter queue (wrangler.toml [[queues.consumers]]): events
   * delivered to tenants' webhook endpoints (src/events/consumer.ts), one traced invocation a batch.
   */
  async queue(batch, env, ctx) {
    await runInvocation(
      {
        env,
        waitUntil: (p) => ctx.waitUntil(p),
        name: `queue ${batch.queue}`,
        kind: SpanKind.CONSUMER,
        attributes: {
          "messaging.destination.name": batch.queue,
          "messaging.batch.message_count": batch.messages.length,
        },
        requestId: requestIdFrom(null),
        traceparent: null,
      },
      async () => consumeEvents(batch, env, ctx),
    );
  },
} satisfies ExportedHandler<Env>;
