/**
 * Probes of open breakers in callWithResilience (resilient-call.ts): which request carries one,
 * and to which provider-region. The breaker (circuit-breaker.ts) decides whether a probe may go
 * (spacing, probes in flight); this decides where.
 *
 * - Trickle: while a provider-region is open, one request every probeIntervalMs (5 s) tries it
 *   first, as a single attempt with at most its slow-call time, then goes on down its order if the
 *   probe fails. So a recovered provider is back within seconds whether or not the others are healthy.
 * - Panic: when no choice of a request answered (every one was skipped as open, half-open with
 *   its trial calls taken or saturated, or was called and failed), the request is sent as a probe
 *   to the open ones it skipped, in turn, the one whose open period is oldest (no failure seen for
 *   longest) first, instead of answering 503. One probe in flight per provider-region and one per
 *   second each: the requests that find no probe to take are answered 503 at once with
 *   Retry-After 1 s (the probe's verdict is due within about a call's time), not queued behind it.
 *
 * A probe's success closes the breaker; its failure restarts the open period (circuit-breaker.ts).
 */
import type { BreakerProbeKind, CircuitBreaker } from "./circuit-breaker";
import type { HealthRegistry, ProviderHealth } from "./health-registry";

interface Ref {
  readonly name: string;
  readonly region: string;
}

/** One provider-region to try, and whether it goes as a panic probe (the main pass decides trickles itself). */
export interface Step<P> {
  provider: P;
  panic?: boolean;
}

const below = (h: ProviderHealth) => h.inFlight < h.capacity;

/**
 * The request's order, with the first open provider-region whose trickle probe is due moved to the front
 * (at most one per request).
 */
export function withTrickleFirst<P extends Ref>(providers: readonly P[], registry: HealthRegistry): Step<P>[] {
  const steps = providers.map((provider) => ({ provider }));
  const due = providers.findIndex((p) => {
    const h = registry.get(p.name, p.region);
    return below(h) && h.breaker.probeReady("trickle");
  });
  if (due > 0) steps.unshift(...steps.splice(due, 1));
  return steps;
}

/** Open provider-regions a panic probe may go to now, the oldest open period first (ties: the request's order). */
export function panicSteps<P extends Ref>(providers: readonly P[], registry: HealthRegistry): Step<P>[] {
  const seen = new Set<string>();
  return providers
    .map((provider, index) => ({ provider, index, health: registry.get(provider.name, provider.region) }))
    .filter(({ health }) => {
      if (seen.has(health.key)) return false;
      seen.add(health.key);
      return below(health) && health.breaker.probeReady("panic");
    })
    .sort(
      (a, b) =>
        (a.health.breaker.snapshot().openedAt ?? 0) - (b.health.breaker.snapshot().openedAt ?? 0) || a.index - b.index,
    )
    .map(({ provider }) => ({ provider, panic: true }));
}

/** Whether a step would be let through now (as a call or a probe), without taking a permit. */
export function admits(health: ProviderHealth, step: { panic?: boolean }): boolean {
  if (!below(health)) return false;
  if (step.panic) return health.breaker.probeReady("panic");
  return health.breaker.wouldPermit() || health.breaker.probeReady("trickle");
}

/** What an attempt's end tells the breaker: as a call (the window, or a half-open trial) or as a probe. */
export interface Verdict {
  success(ms: number, slowCallMs: number | undefined): void;
  failure(ms: number, slowCallMs: number | undefined): void;
  auth(): void;
  ignored(): void;
}

export function verdict(breaker: CircuitBreaker, probe: BreakerProbeKind | undefined): Verdict {
  if (probe)
    return {
      success: () => breaker.onProbeSuccess(),
      failure: () => breaker.onProbeFailure(),
      auth: () => breaker.onProbeFailure(),
      ignored: () => breaker.onProbeIgnored(),
    };
  return {
    success: (ms, slow) => breaker.onSuccess(ms, slow),
    failure: (ms, slow) => breaker.onFailure(ms, slow),
    auth: () => breaker.onAuthFailure(),
    ignored: () => breaker.onIgnored(),
  };
}
