import { backoffDelayMs } from "../lib/backoff";

/**
 * Retry delay for outbox jobs: the same full-jitter backoff as provider retries, on a slower
 * scale (2 s after the first failure, doubling, capped at 10 min) because an archive has no caller
 * waiting, and at least 250 ms so a failing D1 or R2 is not hammered.
 */
export function outboxRetryDelayMs(attempt: number, random: () => number = Math.random): number {
  return Math.max(250, backoffDelayMs(attempt + 1, random, 1000, 10 * 60_000));
}
