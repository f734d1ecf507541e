/**
 * One provider call made resilient: breakers, admission control, retries with backoff inside a
 * retry budget, failover in preference order, and a deadline that is never exceeded. Every STT
 * and TTS call goes through here, so each turn benefits from what the isolate learned about the
 * providers, and one provider's outage costs callers a failover rather than a timeout.
 *
 * For each provider, in order:
 *   - skip it when its breaker is open or it has `capacity` calls in flight (admission control),
 *     unless its breaker lets this request through as a probe (breaker-probes.ts: one request per
 *     5 s tries an open provider first, a single attempt; and when no provider answered, the
 *     request goes as a probe to the open ones it skipped, the one least recently seen failing
 *     first, rather than answering 503);
 *   - call it with an AbortSignal = caller's signal + its share of the remaining deadline;
 *   - success: record it and return;
 *   - retryable (5xx, 429, network) or our timeout: retry the same provider after a backoff (or
 *     its Retry-After) while attempts, its share of the deadline and the retry budget allow; else
 *     fail over;
 *   - auth / invalid_response: count it against the provider and fail over (retrying won't help);
 *   - permanent (400-class) or AudioError: the request's fault, not the provider's: not counted,
 *     try the next provider (another engine may take it);
 *   - anything else is a bug in our code: rethrown at once, never hidden as a provider failure.
 */
import { AudioError } from "../audio/errors";
import { ProviderError } from "../providers/errors";
import { AllProvidersFailedError } from "./attempts";
import type { AttemptRecord } from "../call/attempts";
import { retryWait, sleep as realSleep } from "../lib/backoff";
import { healthRegistry, type HealthRegistry, type ProviderHealth } from "./health-registry";
import { traceAttempt } from "../observability/tracing";
import { start, untilAborted } from "../lib/abortable";
import { admits, panicSteps, verdict, withTrickleFirst, type Step } from "./breaker-probes";
import type { BreakerProbeKind } from "./circuit-breaker";

export interface ProviderRef {
  readonly name: string;
  readonly region: string;
}

export interface ResilienceOptions<P extends ProviderRef, T> {
  /** The whole budget for this stage of the turn, ms (e.g. 8000); no attempt outlives it. */
  deadlineMs: number;
  /** The caller's signal: when it aborts, the attempt in flight is aborted and nothing more is tried. */
  signal?: AbortSignal | undefined;
  /** Calls to one provider including the first (default 3: one call and two retries). */
  maxAttemptsPerProvider?: number | undefined;
  /** What counts as slow for this request's breaker bookkeeping (default: the breaker's, 2.5 s). */
  slowCallMs?: number | undefined;
  /** An answer that needs no provider call (a cache hit), consulted per provider before its breaker. */
  cached?: ((provider: P) => Promise<T | undefined> | T | undefined) | undefined;
  registry?: HealthRegistry | undefined;
  /** Injected in tests; default the registry's clock. */
  now?: (() => number) | undefined;
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
  random?: (() => number) | undefined;
  /** A signal that aborts after ms; default AbortSignal.timeout. */
  timeout?: ((ms: number) => AbortSignal) | undefined;
}

export interface ResilientResult<P, T> {
  value: T;
  provider: P;
  attempts: AttemptRecord[];
  /** True when the value came from `cached` and no provider was called for it. */
  cached: boolean;
}

export const DEFAULT_MAX_ATTEMPTS_PER_PROVIDER = 3;

export async function callWithResilience<P extends ProviderRef, T>(
  providers: readonly P[],
  call: (provider: P, signal: AbortSignal, attempt: number) => Promise<T>,
  options: ResilienceOptions<P, T>,
): Promise<ResilientResult<P, T>> {
  const registry = options.registry ?? healthRegistry;
  const now = options.now ?? registry.now;
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  const timeout = options.timeout ?? ((ms: number) => AbortSignal.timeout(ms));
  const maxAttempts = options.maxAttemptsPerProvider ?? DEFAULT_MAX_ATTEMPTS_PER_PROVIDER;
  if (!(Number.isInteger(maxAttempts) && maxAttempts >= 1))
    throw new RangeError(`maxAttemptsPerProvider must be a positive integer, got ${maxAttempts}`);
  if (!(options.deadlineMs > 0)) throw new RangeError(`deadlineMs must be positive, got ${options.deadlineMs}`);

  const deadlineAt = now() + options.deadlineMs;
  const attempts: AttemptRecord[] = [];
  const errors: unknown[] = [];
  /** For each provider skipped as open or saturated: when it may take calls again. */
  const skippedWaits: number[] = [];
  let longestRetryAfterMs: number | undefined;
  const record = (provider: P, r: Omit<AttemptRecord, "provider" | "region">) => {
    const rec: AttemptRecord = { provider: provider.name, region: provider.region, ...r };
    attempts.push(rec);
    // One span per attempt (a no-op unless the invocation is traced).
    traceAttempt(rec);
  };
  const abortedError = () => new AllProvidersFailedError("aborted", attempts, errors, 0, longestRetryAfterMs);

  const steps: Step<P>[] = withTrickleFirst(providers, registry);
  let panicked = false;
  // One trickle probe per request at most: a caller pays for one provider that may still be down, not several.
  let trickled = false;
  for (let index = 0; ; index++) {
    if (index === steps.length && !panicked && deadlineAt > now()) {
      // Every choice left is open: rather than refuse the caller, probe the likeliest to have recovered.
      panicked = true;
      const called = new Set(attempts.filter((a) => a.attempt > 0).map((a) => `${a.provider}@${a.region}`));
      steps.push(
        ...panicSteps(providers, registry).filter((s) => !called.has(`${s.provider.name}@${s.provider.region}`)),
      );
    }
    const step = steps[index];
    if (!step) break;
    const provider = step.provider;
    if (options.signal?.aborted) throw abortedError();
    if (options.cached && !step.panic) {
      const t0 = now();
      const hit = await options.cached(provider);
      if (hit !== undefined) {
        record(provider, { attempt: 0, outcome: "cached", ms: now() - t0 });
        return { value: hit, provider, attempts, cached: true };
      }
    }
    const health = registry.get(provider.name, provider.region);
    let probe: BreakerProbeKind | undefined;
    if (step.panic) {
      // Already recorded as skipped; a panic probe that cannot go now is not recorded again.
      if (health.inFlight >= health.capacity || !health.breaker.tryProbe("panic")) continue;
      probe = "panic";
    } else if (health.inFlight >= health.capacity) {
      record(provider, { attempt: 0, outcome: "skipped_saturated", ms: 0 });
      skippedWaits.push(1000);
      continue;
    } else if (!health.breaker.tryAcquire()) {
      if (!trickled && health.breaker.tryProbe("trickle")) {
        probe = "trickle";
        trickled = true;
      } else {
        record(provider, { attempt: 0, outcome: "skipped_open", ms: 0 });
        // When a panic probe may go next; with one in flight, or half-open with every trial slot
        // taken, the verdict is due within about a call's time.
        skippedWaits.push(health.breaker.msUntilProbe("panic") || 1000);
        continue;
      }
    }
    const settle = verdict(health.breaker, probe);
    // This provider's share of what is left: split evenly with the providers still able to take
    // calls, so one that hangs cannot spend the whole budget and leave nothing for failover. A
    // trickle probe gets at most the slow-call time: a caller who had healthy choices pays little for it.
    const contenders =
      1 + steps.slice(index + 1).filter((s) => admits(registry.get(s.provider.name, s.provider.region), s)).length;
    const sliceEnd = Math.min(
      deadlineAt,
      now() + (deadlineAt - now()) / contenders,
      probe === "trickle" ? now() + (options.slowCallMs ?? health.breaker.options.slowCallMs) : Infinity,
    );
    // A probe is one attempt: a provider that fails it is still down, and the request moves on.
    const attemptsHere = probe ? 1 : maxAttempts;

    let retryCost = 0;
    let waitedMs: number | undefined;
    for (let attempt = 1; attempt <= attemptsHere; attempt++) {
      // The first permit was taken above; a retry asks again (the breaker may have opened meanwhile).
      if (attempt > 1 && !health.breaker.tryAcquire()) {
        record(provider, { attempt: 0, outcome: "skipped_open", ms: 0 });
        break;
      }
      const budgetMs = sliceEnd - now();
      if (budgetMs <= 0) {
        settle.ignored();
        if (attempt === 1) record(provider, { attempt: 0, outcome: "skipped_deadline", ms: 0 });
        break;
      }
      // Whole milliseconds, rounded down, so the attempt never outlives the deadline.
      const timer = timeout(Math.max(1, Math.floor(budgetMs)));
      const signal = options.signal ? AbortSignal.any([options.signal, timer]) : timer;
      const t0 = now();
      const waited = { ...(waitedMs !== undefined ? { waitedMs } : {}), ...(probe ? { probe } : {}) };
      try {
        const value = await track(health, () => call(provider, signal, attempt), signal);
        const ms = now() - t0;
        settle.success(ms, options.slowCallMs);
        health.latency.recordSuccess(ms);
        health.budget.onSuccess(retryCost);
        record(provider, { attempt, outcome: "success", ms, ...waited });
        return { value, provider, attempts, cached: false };
      } catch (err) {
        const ms = now() - t0;
        let retry: { cost: "error" | "timeout"; retryAfterMs?: number } | undefined;
        if (options.signal?.aborted) {
          // The caller hung up: not the provider's fault, and nobody is left to answer.
          settle.ignored();
          record(provider, { attempt, outcome: "aborted", ms, ...waited });
          throw abortedError();
        } else if (signal.aborted) {
          // Our own deadline share ran out (whatever the provider made of the abort).
          settle.failure(ms, options.slowCallMs);
          health.latency.recordFailure(ms);
          record(provider, { attempt, outcome: "timeout", ms, errorKind: "timeout", ...waited });
          errors.push(
            new ProviderError(
              provider.name,
              "retryable",
              `no answer within ${Math.round(budgetMs)} ms (its share of the deadline)`,
              { cause: err },
            ),
          );
          retry = { cost: "timeout" };
        } else if (err instanceof AudioError) {
          settle.ignored();
          record(provider, { attempt, outcome: "refused", ms, errorKind: "audio", ...waited });
          errors.push(err);
          break;
        } else if (err instanceof ProviderError) {
          const { status, retryAfterMs } = err.options;
          const detail = {
            errorKind: err.kind,
            ...(status !== undefined ? { status } : {}),
            ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
            ...waited,
          };
          errors.push(err);
          if (err.kind === "permanent") {
            settle.ignored();
            record(provider, { attempt, outcome: "refused", ms, ...detail });
            break;
          }
          if (err.kind === "auth") settle.auth();
          else settle.failure(ms, options.slowCallMs);
          health.latency.recordFailure();
          record(provider, { attempt, outcome: "failed", ms, ...detail });
          if (retryAfterMs !== undefined) longestRetryAfterMs = Math.max(longestRetryAfterMs ?? 0, retryAfterMs);
          if (err.kind !== "retryable") break;
          // A retryable error with no HTTP status is a timeout or dropped connection (see providerFetch).
          retry = {
            cost: status === undefined || status === 408 || status === 504 ? "timeout" : "error",
            ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
          };
        } else {
          settle.ignored();
          throw err;
        }

        if (attempt >= attemptsHere) break;
        const wait = retryWait({
          retry: attempt,
          retryAfterMs: retry.retryAfterMs,
          availableMs: sliceEnd - now(),
          neededMs: health.latency.latency.value ?? 0,
          random,
        });
        if (!wait.wait) break;
        const cost = health.budget.tryAcquire(retry.cost);
        if (!cost) break;
        retryCost = cost;
        try {
          await sleep(wait.delayMs, options.signal);
        } catch (sleepErr) {
          if (options.signal?.aborted) throw abortedError();
          throw sleepErr;
        }
        waitedMs = wait.delayMs;
      }
    }
  }

  const called = attempts.some((a) => a.outcome !== "skipped_open" && a.outcome !== "skipped_saturated");
  if (!called && attempts.length > 0) {
    // No probe could go either (each spaced or in flight): the earliest a probe may go is when to retry.
    throw new AllProvidersFailedError(
      "all_skipped",
      attempts,
      errors,
      Math.max(0, Math.min(...skippedWaits)),
      longestRetryAfterMs,
    );
  }
  throw new AllProvidersFailedError("exhausted", attempts, errors, longestRetryAfterMs ?? 0, longestRetryAfterMs);
}

/**
 * Runs one call, counted in flight until it really settles, and settles as soon as the attempt's
 * signal aborts even if the provider ignores the signal: the deadline holds whatever the adapter does.
 */
function track<T>(health: ProviderHealth, run: () => Promise<T>, signal: AbortSignal): Promise<T> {
  health.inFlight++;
  const pending = start(run);
  pending.then(
    () => health.inFlight--,
    () => health.inFlight--,
  );
  return untilAborted(pending, signal);
}
