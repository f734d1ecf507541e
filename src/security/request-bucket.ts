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
    const taken = this.takeUpTo(rule, now, 1);
    return taken.granted ? { ok: true } : { ok: false, retryAfterSeconds: taken.retryAfterSeconds };
  }

  /**
   * Takes up to `want` whole tokens (an isolate's lease, security/admission.ts): at least one, or
   * none and how long until one is there.
   */
  takeUpTo(rule: RequestRule, now: number, want: number): { granted: number; retryAfterSeconds: number } {
    const perMs = rule.perMinute / 60_000;
    const prev = this.state ?? { tokens: rule.burst, at: now };
    const tokens = Math.min(rule.burst, prev.tokens + Math.max(0, now - prev.at) * perMs);
    if (tokens < 1) {
      return { granted: 0, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / perMs / 1000)) };
    }
    const granted = Math.max(1, Math.min(Math.floor(want), Math.floor(tokens)));
    this.state = { tokens: tokens - granted, at: now };
    return { granted, retryAfterSeconds: 0 };
  }
}
