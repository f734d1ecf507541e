/**
 * Recent latency and error rate of one provider-region as exponentially weighted moving averages:
 * O(1) memory, no timestamps, and recent calls weigh most. Used to decide whether a retry still
 * fits in what is left of a turn, and (later) to rank regions by how fast they answer.
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

export class LatencyStats {
  readonly latency: Ewma;
  readonly errors: Ewma;

  constructor(alpha = DEFAULT_EWMA_ALPHA) {
    this.latency = new Ewma(alpha);
    this.errors = new Ewma(alpha);
  }

  recordSuccess(durationMs: number): void {
    this.latency.update(durationMs);
    this.errors.update(0);
  }

  /**
   * A failure. Only a timeout's duration is a latency sample (a lower bound of how slow the
   * provider is); a fast 503 says nothing about how long a good answer takes.
   */
  recordFailure(durationMs?: number): void {
    if (durationMs !== undefined) this.latency.update(durationMs);
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
