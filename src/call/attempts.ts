/**
 * What happened on the way to an answer (or to none): one record per provider call or skip, in
 * order, so logs and metrics can show failovers, retries and open breakers per turn.
 */
/** How a provider's failure is handled: retried, refused as the request's fault, or an auth problem. */
export type ProviderErrorKind = "retryable" | "permanent" | "auth" | "invalid_response";

export type AttemptOutcome =
  /** The provider answered. */
  | "success"
  /** A call served from a cache on the provider's behalf; no call was made. */
  | "cached"
  /** The provider failed (5xx, 429, network, bad credentials, unusable answer). */
  | "failed"
  /** The attempt ran out of its share of the deadline and was aborted. */
  | "timeout"
  /** The provider refused this request (400-class, or the format) — the request's fault, not the provider's. */
  | "refused"
  /** The caller went away; nothing more was tried. */
  | "aborted"
  /** Not called: its circuit breaker is open. */
  | "skipped_open"
  /** Not called: it already has as many calls in flight as this isolate allows. */
  | "skipped_saturated"
  /** Not called: no time was left in the deadline. */
  | "skipped_deadline";

export interface AttemptRecord {
  provider: string;
  region: string;
  /** 1 for the first call to this provider in this request, 2 for its first retry...; 0 for a skip or cache hit. */
  attempt: number;
  outcome: AttemptOutcome;
  /** Duration of the call (0 for skips). */
  ms: number;
  /** ProviderError kind, "audio" for an AudioError refusal, "timeout" for our own abort. */
  errorKind?: ProviderErrorKind | "audio" | "timeout";
  status?: number;
  retryAfterMs?: number;
  /** How long we waited before this attempt (backoff or Retry-After). */
  waitedMs?: number;
  /**
   * The call was let through an open breaker as a probe (src/routing/breaker-probes.ts): "trickle"
   * (one every few seconds while open) or "panic" (every choice of the request was open).
   */
  probe?: "trickle" | "panic";
}
