import type { AttemptRecord } from "../call/attempts";
import { AudioError } from "../audio/errors";
import { ProviderError, type Refusal } from "../providers/errors";

/** Why no provider answered a request (see AllProvidersFailedError). */
export type AllFailedReason =
  /** Every provider was skipped (open or saturated) and no probe could go (breaker-probes.ts): 503 at once. */
  | "all_skipped"
  /** Calls were made and none succeeded. */
  | "exhausted"
  /** The caller's signal aborted. */
  | "aborted";

/** The failure of every provider a request could use, with the attempts that led to it. */
export class AllProvidersFailedError extends Error {
  override name = "AllProvidersFailedError";

  constructor(
    readonly reason: AllFailedReason,
    readonly attempts: readonly AttemptRecord[],
    /** The errors the providers threw, in order (ProviderError or AudioError). */
    readonly errors: readonly unknown[],
    /**
     * When a client could usefully try again, ms: for "all_skipped" the time until the earliest
     * open breaker lets a probe through (1000 when a provider was merely saturated, or a probe or
     * the half-open trial calls are in flight); otherwise
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

/** "a@eu#1 failed 503, a@eu#2 timeout, b@us skipped_open, a@eu#1 success (panic probe)" — short, for log lines. */
export function summarize(attempts: readonly AttemptRecord[]): string {
  return attempts
    .map(
      (a) =>
        `${a.provider}@${a.region}${a.attempt ? `#${a.attempt}` : ""} ${a.outcome}` +
        `${a.status ? ` ${a.status}` : a.errorKind && a.outcome !== a.errorKind ? ` ${a.errorKind}` : ""}` +
        `${a.probe ? ` (${a.probe} probe)` : ""}`,
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

/** One provider's refusal of a request: what it refused ("request" when it did not say) and why. */
export interface ProviderRefusal {
  provider: string;
  refused: Refusal | "audio" | "request";
  /** Our adapter's own words (never a provider's raw error text), fit for a client to read. */
  reason: string;
}

/**
 * The refusals, when every provider a request could use was asked and each refused the request for
 * what it is (a 400-class answer, a language or voice it lacks, audio it cannot take); undefined
 * when any provider failed, timed out or was skipped, since then waiting may help (503) while a
 * refusal will be repeated on every retry (422).
 */
export function refusedByEveryProvider(failure: AllProvidersFailedError): ProviderRefusal[] | undefined {
  if (failure.reason !== "exhausted") return undefined;
  const last = new Map<string, AttemptRecord>();
  for (const a of failure.attempts) last.set(`${a.provider}@${a.region}`, a);
  if (!last.size || [...last.values()].some((a) => a.outcome !== "refused")) return undefined;
  // Each failed, timed-out or refused attempt pushed one error, in the same order.
  const called = failure.attempts.filter((a) => ["failed", "timeout", "refused"].includes(a.outcome));
  const byProvider = new Map<string, ProviderRefusal>();
  failure.errors.forEach((err, i) => {
    const provider = called[i]?.provider ?? (err instanceof ProviderError ? err.provider : "provider");
    if (err instanceof AudioError) {
      byProvider.set(provider, { provider, refused: "audio", reason: err.message });
    } else if (err instanceof ProviderError && err.kind === "permanent") {
      const { refusal, status } = err.options;
      // Without an HTTP status the refusal is our adapter's own check, in its own words; with one,
      // the message quotes the provider, which is for logs.
      const reason =
        refusal !== undefined || status === undefined ? err.message : `${provider} refused it (HTTP ${status})`;
      byProvider.set(provider, { provider, refused: refusal ?? "request", reason });
    }
  });
  return byProvider.size ? [...byProvider.values()] : undefined;
}
