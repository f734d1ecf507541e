import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../env";
import { asApiError, errorMessage } from "../../lib/errors";
import { sttChain, ttsChain } from "../../providers/registry";
import { llmChain } from "../../providers/llm/registry";
import {
  healthRegistry,
  llmHealthRegistry,
  type HealthRegistry,
  type HealthSnapshotEntry,
} from "../../routing/health-registry";
import { PROBE_MODES } from "../../routing/probe";
import { readProbes } from "../../routing/probe-store";

import { problemResponses } from "./schemas";
import { scoped } from "./scoped";
import { log } from "../../observability/log";

const RegionHealth = z.object({
  provider: z.string(),
  region: z.string(),
  state: z.enum(["closed", "open", "half_open"]),
  failureRate: z.number(),
  slowRate: z.number(),
  callsInWindow: z.number(),
  latencyMs: z.number().optional(),
  errorRate: z.number().optional(),
  inFlight: z.number(),
  capacity: z.number(),
  breakerProbes: z
    .object({
      sent: z.number().int(),
      succeeded: z.number().int(),
      failed: z.number().int(),
      inFlight: z.number().int(),
    })
    .openapi({
      description:
        "Calls let through this breaker while it was open, as probes (one every 5 s, or when every choice of a " +
        "request was open): counted here, not in the failure-rate window. A success closes the breaker.",
    }),
});

const ProbeView = z.object({
  provider: z.string(),
  region: z.string(),
  kind: z.enum(["stt", "tts"]),
  ok: z.boolean(),
  status: z
    .number()
    .int()
    .optional()
    .openapi({ description: "The provider's HTTP status, when it answered with an error." }),
  errorKind: z
    .enum(["retryable", "permanent", "auth", "invalid_response", "timeout", "audio", "settings", "error"])
    .optional()
    .openapi({
      description: "settings: the engine could not be built from its settings (the error names the setting).",
    }),
  error: z.string().optional(),
  latencyMs: z.number().optional(),
  probedAt: z.string(),
  consecutiveFailures: z.number().int(),
  stale: z.boolean().openapi({ description: "Older than 15 minutes: probing stopped; shown, not counted as failing." }),
});

const ProvidersView = z
  .object({
    scope: z
      .literal("isolate")
      .openapi({ description: "Health is learned per isolate; docs/routing.md says what isolates share." }),
    chains: z.object({
      stt: z.object({
        providers: z.array(z.object({ name: z.string(), region: z.string() })),
        problem: z.string().optional(),
      }),
      tts: z.object({
        providers: z.array(z.object({ name: z.string(), region: z.string() })),
        problem: z.string().optional(),
      }),
      llm: z
        .object({
          providers: z.array(z.object({ name: z.string(), region: z.string() })),
          problem: z.string().optional(),
        })
        .openapi({ description: "LLM_PROVIDERS: the language models of agent calls, in preference order." }),
    }),
    health: z.array(RegionHealth),
    llmHealth: z
      .array(RegionHealth)
      .openapi({ description: "The language-model endpoints' breakers and latency (kept apart from speech)." }),
    probing: z.enum(PROBE_MODES).openapi({ description: "PROVIDER_PROBES: what the 5-minute cron probes." }),
    probes: z.array(ProbeView).openapi({
      description: "The latest active probe per provider-region and kind, from D1: the same in every isolate.",
    }),
    probesProblem: z.string().optional().openapi({ description: "Why the probe results could not be read." }),
  })
  .openapi("Providers");

/**
 * A chain as names and regions, or the settings problem that keeps it from building. Each
 * provider-region gets its registry entry now (closed, nothing learned), so the listing shows every
 * configured one with its breaker from the first request, not only those a request has used.
 */
function describeChain(build: () => { name: string; region: string }[], registry: HealthRegistry) {
  try {
    const chain = build();
    for (const p of chain) registry.get(p.name, p.region);
    return { providers: chain.map((p) => ({ name: p.name, region: p.region })) };
  } catch (err) {
    const api = asApiError(err);
    if (!api) throw err;
    return { providers: [], problem: api.detail };
  }
}

export function providerRoutes() {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(
    createRoute({
      method: "get",
      path: "/",
      tags: ["operators"],
      summary: "Configured provider chains and each provider-region's breaker, latency and load",
      ...scoped("admin", { allowOperator: true }),
      responses: {
        200: { description: "Providers", content: { "application/json": { schema: ProvidersView } } },
        ...problemResponses(401, 403),
      },
    }),
    async (c) => {
      const view = (h: HealthSnapshotEntry) => ({
        provider: h.provider,
        region: h.region,
        state: h.breaker.state,
        failureRate: h.breaker.failureRate,
        slowRate: h.breaker.slowRate,
        callsInWindow: h.breaker.calls,
        ...(h.latencyMs !== undefined ? { latencyMs: Math.round(h.latencyMs) } : {}),
        ...(h.errorRate !== undefined ? { errorRate: Math.round(h.errorRate * 1000) / 1000 } : {}),
        inFlight: h.inFlight,
        capacity: h.capacity,
        breakerProbes: h.breaker.probes,
      });
      let probes: Awaited<ReturnType<typeof readProbes>> = [];
      let probesProblem: string | undefined;
      try {
        probes = await readProbes(c.env.DB);
      } catch (err) {
        log("provider_probes_unreadable", { requestId: c.var.requestId, message: errorMessage(err) }, "warn");
        probesProblem =
          "The probe results could not be read from D1 (is migrations/0003_provider_probes.sql applied?).";
      }
      const chains = {
        stt: describeChain(() => sttChain(c.env, c.var.config), healthRegistry),
        tts: describeChain(() => ttsChain(c.env, c.var.config), healthRegistry),
        llm: describeChain(() => llmChain(c.env, c.var.config), llmHealthRegistry),
      };
      return c.json(
        {
          scope: "isolate" as const,
          chains,
          health: healthRegistry.snapshot().map(view),
          llmHealth: llmHealthRegistry.snapshot().map(view),
          probing: c.var.config.PROVIDER_PROBES,
          probes,
          ...(probesProblem ? { probesProblem } : {}),
        },
        200,
      );
    },
  );
  return app;
}
