/**
 * What happened on the way to an answer (or to none): one record per provider call or skip, in
 * order, so logs and metrics can show failovers, retries and open breakers per turn.
 */
import type { ProviderErrorKind } from "../providers/errors";

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
}

export type AllFailedReason =
  /** Every provider was skipped (open or saturated) without a call: answer 503 at once. */
  | "all_skipped"
  /** Calls were made and none succeeded. */
  | "exhausted"
  /** The caller's signal aborted. */
  | "aborted";

export class AllProvidersFailedError extends Error {
  override name = "AllProvidersFailedError";

  constructor(
    readonly reason: AllFailedReason,
    readonly attempts: readonly AttemptRecord[],
    /** The errors the providers threw, in order (ProviderError or AudioError). */
    readonly errors: readonly unknown[],
    /**
     * When a client could usefully try again, ms: for "all_skipped" the time until the earliest
     * open breaker lets trial calls through (1000 when a provider was merely saturated); otherwise
     * the longest Retry-After a provider asked for (0 when none did).
     */
    readonly retryAfterMs: number,
    /** The longest Retry-After any provider sent, if any did. */
    readonly longestRetryAfterMs: number | undefined,
  ) {
    super(`no provider answered (${reason}): ${summarize(attempts)}`);
  }

  /** True when no provider was even called because each was open or saturated. */
  get allSkipped(): boolean {
    return this.reason === "all_skipped";
  }
}

/** "a@eu#1 failed 503, a@eu#2 timeout, b@us skipped_open" — short, for log lines. */
export function summarize(attempts: readonly AttemptRecord[]): string {
  return attempts
    .map(
      (a) =>
        `${a.provider}@${a.region}${a.attempt ? `#${a.attempt}` : ""} ${a.outcome}` +
        `${a.status ? ` ${a.status}` : a.errorKind && a.outcome !== a.errorKind ? ` ${a.errorKind}` : ""}`,
    )
    .join(", ");
}

/** The attempt records an error carries, on itself or its cause (TtsUnavailableError, ApiError with cause). */
export function attemptsOf(err: unknown): readonly AttemptRecord[] | undefined {
  for (
    let e: unknown = err, depth = 0;
    e && typeof e === "object" && depth < 4;
    e = (e as { cause?: unknown }).cause, depth++
  ) {
    const attempts = (e as { attempts?: unknown }).attempts;
    if (Array.isArray(attempts)) return attempts as AttemptRecord[];
  }
  return undefined;
}
