/**
 * What this isolate knows about each provider-region: its circuit breaker, recent latency and error
 * rate, retry budget, and how many calls to it are in flight. Keyed "provider@region".
 *
 * Module-level state on purpose: it is shared knowledge about providers (like a connection pool),
 * not per-request data, and every request in the isolate should benefit from what earlier ones
 * learned. Each isolate learns on its own; nothing here is persisted or shared across isolates.
 */
import {
  CircuitBreaker,
  type BreakerSnapshot,
  type BreakerTransition,
  type CircuitBreakerOptions,
} from "./circuit-breaker";
import { DEFAULT_EWMA_ALPHA, LatencyStats, type LatencySnapshot } from "./latency";
import { RetryBudget, type RetryBudgetOptions } from "./retry-budget";
import { log } from "../observability/log";

/**
 * Calls to one provider-region in flight at once from one isolate. A healthy provider answers a
 * turn in well under a second, so 32 calls outstanding from a single isolate means they are piling
 * up (the provider is slow or throttling us); a new caller is served sooner by the next provider
 * than by queueing behind them. Set per deployment with HealthRegistry.setCapacity, and per
 * provider-region from the region catalog (HealthRegistry.setRegionCapacity).
 */
export const DEFAULT_CAPACITY = 32;

export interface ProviderHealth {
  readonly key: string;
  readonly provider: string;
  readonly region: string;
  readonly breaker: CircuitBreaker;
  readonly latency: LatencyStats;
  readonly budget: RetryBudget;
  /** Calls started and not yet settled (an abandoned call counts until it really ends). */
  inFlight: number;
  /** Admission limit: at inFlight ≥ capacity the provider is skipped as saturated. */
  capacity: number;
}

export interface HealthSnapshotEntry extends LatencySnapshot {
  key: string;
  provider: string;
  region: string;
  breaker: BreakerSnapshot;
  inFlight: number;
  capacity: number;
  retryTokens: number;
}

export type HealthTransitionEvent = BreakerTransition & { provider: string; region: string };

export interface HealthRegistryOptions {
  now?: () => number;
  capacity?: number;
  breaker?: Partial<Omit<CircuitBreakerOptions, "now" | "onTransition">>;
  retryBudget?: Partial<RetryBudgetOptions>;
  latencyAlpha?: number;
  /** Every breaker state change, for logs and metrics. */
  onTransition?: (event: HealthTransitionEvent) => void;
}

export function healthKey(provider: string, region: string): string {
  return `${provider}@${region}`;
}

export class HealthRegistry {
  readonly now: () => number;
  private readonly entries = new Map<string, ProviderHealth>();
  private capacity: number;
  /** Per provider-region limits that win over `capacity` (a region known to take more, or less). */
  private readonly regionCapacity = new Map<string, number>();

  constructor(private readonly options: HealthRegistryOptions = {}) {
    this.now = options.now ?? Date.now;
    this.capacity = options.capacity ?? DEFAULT_CAPACITY;
  }

  /** The entry for a provider-region, created healthy (closed, empty window, full budget) on first use. */
  get(provider: string, region: string): ProviderHealth {
    const key = healthKey(provider, region);
    let entry = this.entries.get(key);
    if (!entry) {
      const onTransition = this.options.onTransition;
      entry = {
        key,
        provider,
        region,
        breaker: new CircuitBreaker({
          ...this.options.breaker,
          now: this.now,
          onTransition: onTransition ? (t) => onTransition({ ...t, provider, region }) : undefined,
        }),
        latency: new LatencyStats(this.options.latencyAlpha ?? DEFAULT_EWMA_ALPHA, this.now),
        budget: new RetryBudget(this.options.retryBudget),
        inFlight: 0,
        capacity: this.regionCapacity.get(key) ?? this.capacity,
      };
      this.entries.set(key, entry);
    }
    return entry;
  }

  /**
   * Sets the admission limit for every provider-region, current and future (e.g. from a setting),
   * except those given their own limit with setRegionCapacity.
   */
  setCapacity(capacity: number): void {
    checkCapacity(capacity);
    this.capacity = capacity;
    for (const entry of this.entries.values()) entry.capacity = this.regionCapacity.get(entry.key) ?? capacity;
  }

  /**
   * Sets one provider-region's admission limit, now and for the entry if it is created later;
   * `undefined` returns it to the registry-wide limit. Does not create the entry.
   */
  setRegionCapacity(provider: string, region: string, capacity: number | undefined): void {
    const key = healthKey(provider, region);
    if (capacity === undefined) this.regionCapacity.delete(key);
    else {
      checkCapacity(capacity);
      this.regionCapacity.set(key, capacity);
    }
    const entry = this.entries.get(key);
    if (entry) entry.capacity = capacity ?? this.capacity;
  }

  snapshot(): HealthSnapshotEntry[] {
    return [...this.entries.values()].map((e) => ({
      key: e.key,
      provider: e.provider,
      region: e.region,
      breaker: e.breaker.snapshot(),
      ...e.latency.snapshot(),
      inFlight: e.inFlight,
      capacity: e.capacity,
      retryTokens: e.budget.tokens,
    }));
  }

  clear(): void {
    this.entries.clear();
    this.regionCapacity.clear();
    this.capacity = this.options.capacity ?? DEFAULT_CAPACITY;
  }
}

function checkCapacity(capacity: number): void {
  if (!(Number.isInteger(capacity) && capacity >= 1))
    throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
}

/** The isolate's registry. Breaker changes are logged as one JSON line each, like other events. */
export const healthRegistry = new HealthRegistry({
  onTransition: (t) =>
    log(
      "provider_breaker",
      { provider: t.provider, region: t.region, from: t.from, to: t.to, reason: t.reason },
      "warn",
    ),
});

export function getHealth(provider: string, region: string): ProviderHealth {
  return healthRegistry.get(provider, region);
}

export function healthSnapshot(): HealthSnapshotEntry[] {
  return healthRegistry.snapshot();
}

/**
 * Breakers, latency and retry budgets of the language-model endpoints, per provider@region. Kept
 * apart from the speech registry: the same provider name and host (openai@api.openai.com) serve
 * speech and chat with different keys and models, and a refused chat key must not open the speech
 * breaker. Shared knowledge about providers, like the speech registry, not per-request state.
 */
export const llmHealthRegistry = new HealthRegistry({
  onTransition: (t) =>
    log("llm_breaker", { provider: t.provider, region: t.region, from: t.from, to: t.to, reason: t.reason }, "warn"),
});

/** Forgets everything learned; only for tests (the suite shares one isolate across files). */
export function resetHealthForTests(): void {
  healthRegistry.clear();
  llmHealthRegistry.clear();
}
