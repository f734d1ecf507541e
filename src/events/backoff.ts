/**
 * When a failed delivery is tried again (docs/events.md, "Retries"). Exponential backoff with
 * "equal jitter": the n-th retry waits between half and all of min(1 h, 5 s · 2^(n-1)), so
 * endpoints that failed together are not retried in lockstep, and no wait collapses to nothing:
 *
 *   retry     1    2    3    4     5     6     7      8      9      10     11+
 *   ceiling   5 s  10 s 20 s 40 s  80 s  160 s 320 s  640 s  21 min 43 min 1 h
 *
 * Retries go on until RETRY_WINDOW_MS has passed since the first attempt (the contract's "at least
 * 24 hours"); the attempt that finds the window over and fails gives the delivery up (`failed`).
 * Even at the shortest waits that is 57 retries (33 at the longest), under the queue's max_retries (100,
 * wrangler.toml), so the dead-letter queue only takes messages the consumer itself could not handle.
 */

export const RETRY_WINDOW_MS = 24 * 60 * 60 * 1000;
export const RETRY_BASE_SECONDS = 5;
export const RETRY_CAP_SECONDS = 3600;

/** Seconds before retry number `retry` (1 = the retry after the first failed attempt). */
export function retryDelaySeconds(retry: number, random: () => number = Math.random): number {
  const ceiling = Math.min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2 ** Math.max(0, Math.min(retry - 1, 20)));
  return Math.max(1, Math.ceil(ceiling / 2 + (random() * ceiling) / 2));
}
