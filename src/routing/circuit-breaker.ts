/**
 * A circuit breaker for one provider in one region: after enough of the recent calls failed (or
 * crawled), stop sending callers to it for a while and fail over at once instead of making every
 * caller wait for the same timeout. Modelled on resilience4j's count-based breaker
 * (https://resilience4j.readme.io/docs/circuitbreaker), with defaults sized for a voice turn.
 *
 *   closed ──(failure or slow rate ≥ threshold, ≥ minCalls in window; or an auth failure)──▶ open
 *   open ──(openMs elapsed, checked lazily on the next call)──▶ half_open
 *   half_open ──(all halfOpenCalls trial calls succeed, slow rate under threshold)──▶ closed
 *   half_open ──(any trial fails, or too many were slow; or an auth failure)──▶ open
 *   open (or half_open) ──(a probe succeeds)──▶ closed
 *
 * Probes (not in resilience4j, which waits out the whole open period): while open, one call every
 * probeIntervalMs is let through as a "trickle" probe, and when every choice a request has is open,
 * callWithResilience lets it through as a "panic" probe (at most one per panicProbeIntervalMs), as
 * Envoy's panic threshold sends traffic to unhealthy hosts rather than to none. At most
 * maxProbesInFlight probes are in flight per breaker. A probe is not traffic: it never enters the
 * failure-rate window; a success closes the breaker, a failure restarts the open period. Closed
 * rather than half-open: callers are routed to half-open regions only when the closed ones fail
 * (select.ts), so next to a healthy region its trial calls may not come for tens of seconds
 * (bench:faults saw 44 s), and a probe is a caller's request answered, which is what a trial call
 * would show. A provider still failing opens again after minCalls calls.
 *
 * Only the provider's own faults count: 5xx/429/timeouts, broken answers and bad credentials.
 * A request the provider rightly refused (400 bad audio, AudioError, the client hanging up) says
 * nothing about the provider's health and is recorded as "ignored".
 */

export type BreakerState = "closed" | "open" | "half_open";

export interface BreakerTransition {
  from: BreakerState;
  to: BreakerState;
  /** Clock time of the change. */
  at: number;
  reason:
    | "failure_rate"
    | "slow_rate"
    | "auth"
    | "wait_elapsed"
    | "probe_failed"
    | "probes_slow"
    | "probes_succeeded"
    /** An open breaker's probe succeeded (see tryProbe). */
    | "probe_succeeded";
}

/**
 * Why a probe is let through while open: "trickle" (one every probeIntervalMs, whatever else the
 * request could use) or "panic" (every choice the request has is open; one every panicProbeIntervalMs).
 */
export type BreakerProbeKind = "trickle" | "panic";

export interface CircuitBreakerOptions {
  /**
   * Calls remembered (count-based sliding window). resilience4j: 100. Here 20: each isolate keeps
   * its own window and sees a fraction of the traffic, so 100 calls can span minutes of history;
   * 20 recent calls describe the provider as it is now.
   */
  windowSize: number;
  /**
   * Calls needed in the window before rates are judged. resilience4j: 100 (= the window). Here 5:
   * an isolate may never reach 100 calls before it is recycled, so the breaker would never open;
   * one or two unlucky calls must not trip it, but five mostly failing ones mean an outage.
   */
  minCalls: number;
  /**
   * Failure share that opens the breaker. resilience4j: 50%, kept: failing half the time, the provider costs callers
   * more than it gives.
   */
  failureRateThreshold: number;
  /**
   * A call lasting at least this long counts as slow. resilience4j: 60 s, a batch figure. Here
   * 2.5 s: a caller is on the line, and an STT or TTS stage slower than that is dead air.
   */
  slowCallMs: number;
  /**
   * Slow share that opens the breaker. resilience4j: 100%, so one fast call keeps a crawling
   * provider in use. Here 80%: tolerates a few long utterances, not a provider that crawls.
   */
  slowCallRateThreshold: number;
  /**
   * Time open before trial calls. resilience4j: 60 s. Here 30 s: the preferred (often nearest)
   * provider should win callers back soon after it recovers, and short outages (deploys, blips)
   * are usually over within that time.
   */
  openMs: number;
  /**
   * Trial calls let through half-open. resilience4j: 10. Here 3: ten probes take long to gather
   * in one isolate and expose ten real callers to a possibly dead provider; three successes in a
   * row are enough to trust it again.
   */
  halfOpenCalls: number;
  /**
   * While open, one call this often is let through as a probe. 5 s: an outage that ends is noticed
   * within seconds instead of after openMs, and a dead provider costs one call per 5 s.
   */
  probeIntervalMs: number;
  /**
   * When every choice of a request is open: least time between two probes of this breaker. 1 s:
   * callers are refused in the meantime, so sooner than the trickle, but a dead provider is still
   * not sent every caller.
   */
  panicProbeIntervalMs: number;
  /** Probes in flight at once (per isolate). 1: the rest are refused rather than hammering a dead provider. */
  maxProbesInFlight: number;
  now: () => number;
  /** For logs and metrics; must not throw. */
  onTransition?: ((t: BreakerTransition) => void) | undefined;
}

export const BREAKER_DEFAULTS: Omit<CircuitBreakerOptions, "now" | "onTransition"> = {
  windowSize: 20,
  minCalls: 5,
  failureRateThreshold: 0.5,
  slowCallMs: 2500,
  slowCallRateThreshold: 0.8,
  openMs: 30_000,
  halfOpenCalls: 3,
  probeIntervalMs: 5000,
  panicProbeIntervalMs: 1000,
  maxProbesInFlight: 1,
};

export interface BreakerSnapshot {
  state: BreakerState;
  /** Share of failed calls in the window, 0..1 (0 when empty). */
  failureRate: number;
  slowRate: number;
  /** Calls in the window. */
  calls: number;
  openedAt?: number;
  /** State changes since the breaker was created. */
  transitions: number;
  /** Calls let through as probes while open (not traffic: never in the window), and what came of them. */
  probes: { sent: number; succeeded: number; failed: number; inFlight: number };
}

interface Outcome {
  failed: boolean;
  slow: boolean;
}

export class CircuitBreaker {
  readonly options: CircuitBreakerOptions;
  private current: BreakerState = "closed";
  private window: Outcome[] = [];
  private openedAt: number | undefined;
  private transitionCount = 0;
  /** Half-open: trial calls handed out and not yet ignored, and their outcomes so far. */
  private probesIssued = 0;
  private probes: Outcome[] = [];
  /** Probes while open (tryProbe): in flight, the last one's start, and counts. */
  private probesInFlight = 0;
  private lastProbeAt: number | undefined;
  private probeCounts = { sent: 0, succeeded: 0, failed: 0 };

  constructor(options: Partial<CircuitBreakerOptions> = {}) {
    this.options = { ...BREAKER_DEFAULTS, now: Date.now, ...stripUndefined(options) };
    const o = this.options;
    if (
      !(o.windowSize >= 1 && o.minCalls >= 1 && o.halfOpenCalls >= 1 && o.maxProbesInFlight >= 1) ||
      !(o.openMs >= 0 && o.probeIntervalMs >= 0 && o.panicProbeIntervalMs >= 0)
    ) {
      throw new RangeError(
        "CircuitBreaker: windowSize, minCalls, halfOpenCalls and maxProbesInFlight must be ≥ 1, and times ≥ 0",
      );
    }
  }

  /** The state now; an open breaker whose wait has elapsed becomes half-open here. */
  get state(): BreakerState {
    this.refresh();
    return this.current;
  }

  /** Whether a call would be let through now, without taking a half-open trial slot. */
  wouldPermit(): boolean {
    this.refresh();
    if (this.current === "closed") return true;
    if (this.current === "half_open") return this.probesIssued < this.options.halfOpenCalls;
    return false;
  }

  /**
   * Asks to make one call. Closed: yes. Open: no. Half-open: yes for the first halfOpenCalls asks;
   * every yes must be followed by exactly one onSuccess, onFailure, onAuthFailure or onIgnored.
   */
  tryAcquire(): boolean {
    if (!this.wouldPermit()) return false;
    if (this.current === "half_open") this.probesIssued++;
    return true;
  }

  /** Milliseconds until an open breaker lets trial calls through (0 unless open). */
  msUntilHalfOpen(): number {
    this.refresh();
    if (this.current !== "open" || this.openedAt === undefined) return 0;
    return Math.max(0, this.openedAt + this.options.openMs - this.options.now());
  }

  /**
   * Milliseconds until an open breaker lets a probe of this kind through: probeIntervalMs (trickle)
   * or panicProbeIntervalMs (panic) after it opened or last sent one. 0 when not open, or when only
   * the probes in flight hold it back.
   */
  msUntilProbe(kind: BreakerProbeKind): number {
    this.refresh();
    if (this.current !== "open" || this.openedAt === undefined) return 0;
    const interval = kind === "panic" ? this.options.panicProbeIntervalMs : this.options.probeIntervalMs;
    const last = Math.max(this.openedAt, this.lastProbeAt ?? this.openedAt);
    return Math.max(0, last + interval - this.options.now());
  }

  /** Whether tryProbe(kind) would say yes now, without taking the probe. */
  probeReady(kind: BreakerProbeKind): boolean {
    this.refresh();
    return (
      this.current === "open" && this.probesInFlight < this.options.maxProbesInFlight && this.msUntilProbe(kind) === 0
    );
  }

  /**
   * Asks to send one call as a probe: only while open (closed and half-open breakers take calls
   * with tryAcquire), spaced as msUntilProbe says, at most maxProbesInFlight at once. Every yes must
   * be followed by exactly one onProbeSuccess, onProbeFailure or onProbeIgnored.
   */
  tryProbe(kind: BreakerProbeKind): boolean {
    if (!this.probeReady(kind)) return false;
    this.probesInFlight++;
    this.probeCounts.sent++;
    this.lastProbeAt = this.options.now();
    return true;
  }

  /** The probe was answered: the provider is back, and the breaker closes (with an empty window). */
  onProbeSuccess(): void {
    this.settleProbe("succeeded");
    this.refresh();
    if (this.current !== "closed") this.transition("closed", "probe_succeeded");
  }

  /** The probe failed (a provider fault, bad credentials, a timeout): the open period starts again. */
  onProbeFailure(): void {
    this.settleProbe("failed");
    this.refresh();
    if (this.current === "open") this.openedAt = this.options.now();
    else if (this.current === "half_open") this.transition("open", "probe_failed");
  }

  /** The probe ended in a way that says nothing about the provider (a refused request, the caller gone). */
  onProbeIgnored(): void {
    this.settleProbe(undefined);
  }

  onSuccess(durationMs: number, slowCallMs = this.options.slowCallMs): void {
    this.record({ failed: false, slow: durationMs >= slowCallMs });
  }

  onFailure(durationMs: number, slowCallMs = this.options.slowCallMs): void {
    this.record({ failed: true, slow: durationMs >= slowCallMs });
  }

  /** Bad or missing credentials: no amount of retrying fixes them, so open at once. */
  onAuthFailure(): void {
    if (this.current === "open") {
      // A late answer from a call made before the breaker opened: wait the full time again.
      this.openedAt = this.options.now();
      return;
    }
    this.transition("open", "auth");
  }

  /** The call ended in a way that says nothing about the provider; frees a half-open trial slot. */
  onIgnored(): void {
    if (this.current === "half_open" && this.probesIssued > this.probes.length) this.probesIssued--;
  }

  snapshot(): BreakerSnapshot {
    this.refresh();
    const calls = this.window.length;
    return {
      state: this.current,
      failureRate: calls ? this.window.filter((o) => o.failed).length / calls : 0,
      slowRate: calls ? this.window.filter((o) => o.slow).length / calls : 0,
      calls,
      ...(this.current !== "closed" && this.openedAt !== undefined ? { openedAt: this.openedAt } : {}),
      transitions: this.transitionCount,
      probes: { ...this.probeCounts, inFlight: this.probesInFlight },
    };
  }

  private settleProbe(result: "succeeded" | "failed" | undefined): void {
    if (this.probesInFlight > 0) this.probesInFlight--;
    if (result) this.probeCounts[result]++;
  }

  private record(outcome: Outcome): void {
    this.refresh();
    switch (this.current) {
      case "open":
        // Answers to calls made before the breaker opened change nothing until the wait is over.
        return;
      case "half_open":
        this.probes.push(outcome);
        if (outcome.failed) {
          this.transition("open", "probe_failed");
        } else if (this.probes.length >= this.options.halfOpenCalls) {
          const slowRate = this.probes.filter((o) => o.slow).length / this.probes.length;
          if (slowRate >= this.options.slowCallRateThreshold) this.transition("open", "probes_slow");
          else this.transition("closed", "probes_succeeded");
        }
        return;
      case "closed": {
        this.window.push(outcome);
        if (this.window.length > this.options.windowSize) this.window.shift();
        const calls = this.window.length;
        if (calls < this.options.minCalls) return;
        if (this.window.filter((o) => o.failed).length / calls >= this.options.failureRateThreshold)
          this.transition("open", "failure_rate");
        else if (this.window.filter((o) => o.slow).length / calls >= this.options.slowCallRateThreshold)
          this.transition("open", "slow_rate");
        return;
      }
    }
  }

  private refresh(): void {
    if (
      this.current === "open" &&
      this.openedAt !== undefined &&
      this.options.now() >= this.openedAt + this.options.openMs
    ) {
      this.transition("half_open", "wait_elapsed");
    }
  }

  private transition(to: BreakerState, reason: BreakerTransition["reason"]): void {
    const from = this.current;
    const at = this.options.now();
    this.current = to;
    this.transitionCount++;
    // Every state starts from a clean slate, as in resilience4j: old calls must not decide anew.
    this.window = [];
    this.probes = [];
    this.probesIssued = 0;
    if (to === "open") this.openedAt = at;
    if (to === "closed") this.openedAt = undefined;
    this.options.onTransition?.({ from, to, at, reason });
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
