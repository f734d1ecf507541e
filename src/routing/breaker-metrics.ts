/**
 * This isolate's metrics (see src/observability/metrics.ts on what "per isolate" means): only the circuit breakers,
 * which are themselves learned per isolate. Everything else is global (src/observability/metrics-global.ts). Labels
 * are bounded sets, never a tenant id or call id: those are unbounded, and /metrics is an operator
 * view across tenants (per-tenant figures go to Workers Analytics Engine, src/pipeline/metrics.ts).
 */
import { CollectedGauge, Registry } from "../observability/metrics";
import { healthSnapshot } from "./health-registry";

const PER_ISOLATE = "Per isolate: counts only what the isolate answering this scrape saw since it started.";

export const isolateRegistry = new Registry();

const CIRCUIT_STATES = ["closed", "open", "half_open"] as const;

isolateRegistry.register(
  new CollectedGauge(
    "voice_provider_circuit_state",
    "Circuit breaker state of each provider-region this isolate has used or listed (GET /api/v1/providers): " +
      "1 for its current state, 0 " +
      `for the others. ${PER_ISOLATE} Breakers learn per isolate (see GET /api/v1/providers).`,
    () =>
      healthSnapshot().flatMap((h) =>
        CIRCUIT_STATES.map(
          (state) => [{ provider: h.provider, region: h.region, state }, h.breaker.state === state ? 1 : 0] as const,
        ),
      ),
  ),
);

export function renderIsolateMetrics(): string {
  return isolateRegistry.render();
}
