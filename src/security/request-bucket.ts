import type { RequestRule, RequestVerdict } from "./tenant-limits";

/**
 * A tenant's request rate: a token bucket refilled continuously at the rule's rate, up to its
 * burst. It lives in memory only. An object is evicted only after it has been idle for a while,
 * and by then the bucket would have refilled anyway, so persisting it would buy nothing but one
 * storage write (billed) per request. A flood keeps the object, and its bucket, alive.
 */
export class RequestBucket {
  private state: { tokens: number; at: number } | undefined;

  /** Takes one token for a request, or says how long until one is available. */
  take(rule: RequestRule, now: number): RequestVerdict {
    const perMs = rule.perMinute / 60_000;
    const prev = this.state ?? { tokens: rule.burst, at: now };
    const tokens = Math.min(rule.burst, prev.tokens + Math.max(0, now - prev.at) * perMs);
    if (tokens < 1) {
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / perMs / 1000)) };
    }
    this.state = { tokens: tokens - 1, at: now };
    return { ok: true };
  }
}
