/**
 * Retry delay for outbox jobs: exponential from 1 s, capped at 10 min, with full jitter (AWS
 * architecture blog "Exponential Backoff And Jitter") so many calls ending during one D1 or R2
 * outage do not retry in lockstep.
 */
export function outboxRetryDelayMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(10 * 60_000, 1000 * 2 ** Math.min(attempt, 20));
  return Math.max(250, Math.floor(random() * ceiling));
}
