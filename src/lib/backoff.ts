/**
 * How long to wait before a retry: of the same provider within a turn, or of a call's outbox job.
 * Exponential backoff with "full jitter" (AWS Architecture Blog, "Exponential Backoff And
 * Jitter"): a uniform random delay in [0, min(cap, base · 2^(retry-1))), so isolates that saw the
 * same blip do not retry in lockstep.
 *
 * Provider retries, base 100 ms: a transient 503 or reset connection usually clears within tens of milliseconds,
 * and a caller is waiting. cap 2 s: a wait longer than that inside one voice turn is better spent
 * on another provider, so the turn fails over instead.
 */
export const BACKOFF_BASE_MS = 100;
export const BACKOFF_CAP_MS = 2000;

/** Full-jitter delay before retry number `retry` (1 = the first retry). */
export function backoffDelayMs(
  retry: number,
  random: () => number = Math.random,
  baseMs = BACKOFF_BASE_MS,
  capMs = BACKOFF_CAP_MS,
): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, Math.min(retry - 1, 30)));
  return Math.floor(random() * ceiling);
}

/**
 * Retry delay for a call's outbox jobs (archive, sync, slot release): the same full-jitter backoff
 * on a slower scale (2 s after the first failure, doubling, capped at 10 min) because an archive
 * has no caller waiting, and at least 250 ms so a failing D1 or R2 is not hammered.
 */
export function outboxRetryDelayMs(attempt: number, random: () => number = Math.random): number {
  return Math.max(250, backoffDelayMs(attempt + 1, random, 1000, 10 * 60_000));
}

export type RetryWait =
  | { wait: true; delayMs: number; source: "backoff" | "retry_after" }
  | { wait: false; reason: "retry_after_beyond_deadline" | "backoff_beyond_deadline" };

/**
 * The wait before a retry, or none when it does not fit: a provider's Retry-After is honoured (it
 * knows when it will take calls again) but only when waiting it out still leaves `neededMs` (the
 * provider's usual latency) before `availableMs` runs out; otherwise waiting would only burn the
 * caller's time, and failing over to the next provider is better.
 */
export function retryWait(options: {
  retry: number;
  retryAfterMs?: number | undefined;
  availableMs: number;
  neededMs?: number;
  random?: () => number;
}): RetryWait {
  const needed = options.neededMs ?? 0;
  if (options.retryAfterMs !== undefined) {
    return options.retryAfterMs + needed < options.availableMs
      ? { wait: true, delayMs: options.retryAfterMs, source: "retry_after" }
      : { wait: false, reason: "retry_after_beyond_deadline" };
  }
  const delayMs = backoffDelayMs(options.retry, options.random);
  return delayMs + needed < options.availableMs
    ? { wait: true, delayMs, source: "backoff" }
    : { wait: false, reason: "backoff_beyond_deadline" };
}

/** setTimeout as a promise that rejects with the signal's reason when the caller goes away. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
