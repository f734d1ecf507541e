import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../env";
import { renderFamily } from "../../observability/metrics";
import { namespaceOf, readShards, renderGlobal } from "../../observability/metrics-global";
import { renderIsolateMetrics } from "../../routing/breaker-metrics";
import { problemResponses } from "./schemas";
import { scoped } from "./scoped";
import { log } from "../../observability/log";
import { errorMessage } from "../../lib/errors";

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/**
 * GET /metrics: Prometheus text format for operators. Aggregates only: no series carries a tenant
 * or call id (unbounded cardinality, and one tenant's figures are not another's business).
 */
export function metricsRoutes() {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(
    createRoute({
      method: "get",
      path: "/metrics",
      tags: ["operators"],
      summary:
        "Prometheus metrics: global call and turn counters, this " +
        "isolate's latency histograms, errors, breakers and TTS cache",
      description:
        "Prometheus text exposition 0.0.4. Series whose HELP says 'Global' are summed over the MetricsShard " +
        "Durable Objects; 'Per isolate' series count what the isolate answering the scrape saw. " +
        "voice_metrics_global_up is 0 when the global counters could " +
        "not be read (they are then left out rather than reported low).",
      ...scoped("admin", { allowOperator: true }),
      responses: {
        200: { description: "Metrics", content: { "text/plain": { schema: z.string() } } },
        ...problemResponses(401, 403, 429),
      },
    }),
    async (c) => {
      const namespace = namespaceOf(c.env);
      let global = "";
      let up = 0;
      if (namespace) {
        try {
          global = renderGlobal(await readShards({ namespace }));
          up = 1;
        } catch (err) {
          log("metrics_read_failed", { requestId: c.var.requestId, message: errorMessage(err) }, "warn");
        }
      }
      const body =
        global +
        renderFamily(
          "voice_metrics_global_up",
          "gauge",
          "1 when every MetricsShard answered this scrape and the global series are present, else 0.",
          [["voice_metrics_global_up", up]],
        ) +
        renderIsolateMetrics();
      return c.text(body, 200, { "Content-Type": PROMETHEUS_CONTENT_TYPE, "Cache-Control": "no-store" });
    },
  );
  return app;
}
