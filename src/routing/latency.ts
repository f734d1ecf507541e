/**
 * Recent latency and error rate of one provider-region as exponentially weighted moving averages:
 * O(1) memory and recent calls weigh most. Used to decide whether a retry still fits in what is
 * left of a turn, and to rank regions by how fast they answer.
 */

/**
 * alpha 0.2: the weight of the newest sample. An EWMA with alpha = 2 / (N + 1) tracks about like an
 * N-sample moving average, so 0.2 ≈ the last 9 calls: one outlier moves it by a fifth, and a real
 * change in a provider shows within a handful of calls (the same order as the breaker's window).
 */
export const DEFAULT_EWMA_ALPHA = 0.2;

export class Ewma {
  private current: number | undefined;
  private count = 0;

  constructor(readonly alpha = DEFAULT_EWMA_ALPHA) {
    if (!(alpha > 0 && alpha <= 1)) throw new RangeError(`Ewma: alpha must be in (0, 1], got ${alpha}`);
  }

  /** The average, or undefined before the first sample (an unknown is not a zero). */
  get value(): number | undefined {
    return this.current;
  }

  get samples(): number {
    return this.count;
  }

  update(sample: number): void {
    // The first sample seeds the average; starting from 0 would read as "very fast" for a while.
    this.current = this.current === undefined ? sample : this.current + this.alpha * (sample - this.current);
    this.count++;
  }
}

export interface LatencySnapshot {
  /** EWMA of successful (and timed-out) call durations, ms; undefined until the first one. */
  latencyMs?: number;
  /** EWMA of failure (1) versus success (0), 0..1; undefined until the first call. */
  errorRate?: number;
  samples: number;
}

/**
 * How fast a measurement is forgotten when a region gets no calls: 20 s half-life. The ranking
 * sends traffic to the fastest region, so a region that was slow once (a 4 s answer lifts its
 * EWMA to ~1-2 s) would otherwise never be called, never re-measured and never chosen again,
 * however healthy it became. Transient slowness (a cold start, brief congestion) lasts seconds;
 * after a minute an unmeasured region ranks nearly as an unknown one and gets traffic again,
 * which re-measures it. Breakers, not this, keep failing regions out.
 */
export const LATENCY_HALF_LIFE_MS = 20_000;

export class LatencyStats {
  readonly latency: Ewma;
  readonly errors: Ewma;
  private lastSampleAt: number | undefined;

  constructor(
    alpha = DEFAULT_EWMA_ALPHA,
    private readonly now: () => number = Date.now,
  ) {
    this.latency = new Ewma(alpha);
    this.errors = new Ewma(alpha);
  }

  /**
   * The latency to rank by: the EWMA, drawn back toward `prior` (what an unmeasured region is
   * assumed to take) the longer the region has gone without a latency sample.
   */
  rankingLatency(prior: number, halfLifeMs = LATENCY_HALF_LIFE_MS): number | undefined {
    const value = this.latency.value;
    if (value === undefined || this.lastSampleAt === undefined) return undefined;
    const age = Math.max(0, this.now() - this.lastSampleAt);
    return prior + (value - prior) * 0.5 ** (age / halfLifeMs);
  }

  recordSuccess(durationMs: number): void {
    this.latency.update(durationMs);
    this.lastSampleAt = this.now();
    this.errors.update(0);
  }

  /**
   * A success whose duration is not how long the provider takes to answer (a streaming socket's
   * handshake, which the audio queued meanwhile hides from the caller): the error rate only, so
   * it neither flatters nor slows the provider in the ranking.
   */
  recordUntimedSuccess(): void {
    this.errors.update(0);
  }

  /**
   * A failure. Only a timeout's duration is a latency sample (a lower bound of how slow the
   * provider is); a fast 503 says nothing about how long a good answer takes.
   */
  recordFailure(durationMs?: number): void {
    if (durationMs !== undefined) {
      this.latency.update(durationMs);
      this.lastSampleAt = this.now();
    }
    this.errors.update(1);
  }

  snapshot(): LatencySnapshot {
    const latencyMs = this.latency.value;
    const errorRate = this.errors.value;
    return {
      ...(latencyMs !== undefined ? { latencyMs: Math.round(latencyMs * 10) / 10 } : {}),
      ...(errorRate !== undefined ? { errorRate: Math.round(errorRate * 1000) / 1000 } : {}),
      samples: this.errors.samples,
    };
  }
}
