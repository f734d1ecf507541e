import type { ProviderErrorKind } from "../call/attempts";

/**
 * What went wrong talking to a provider, classified so callers know whether to retry:
 * - "retryable": 408/429/5xx, timeouts, connection resets (honour retryAfterMs when set);
 * - "permanent": 400/404/415/422 and refused audio (do not retry the same request);
 * - "auth": 401/403, bad or missing credentials (retrying will not help; the breaker opens);
 * - "invalid_response": the provider answered 2xx with something we cannot use.
 * `message` is for logs: it may quote the provider's error text but never a credential.
 * A "permanent" error may say what about the request was refused (`refusal`), so that when every
 * provider refuses, the client is told what to change (422) rather than to retry (503).
 */

/** What a provider refused about a request: a language or voice it lacks, a text too long for it. */
export type Refusal = "language" | "voice" | "text";

export class ProviderError extends Error {
  constructor(
    readonly provider: string,
    readonly kind: ProviderErrorKind,
    message: string,
    readonly options: { status?: number; retryAfterMs?: number; cause?: unknown; refusal?: Refusal } = {},
  ) {
    super(`${provider}: ${message}`, { cause: options.cause });
    this.name = "ProviderError";
  }

  get retryable(): boolean {
    return this.kind === "retryable";
  }
}

/** A provider refusing a request for what it is (a language, a voice, a text): "permanent", never retried. */
export function refusedRequest(provider: string, refusal: Refusal, message: string, cause?: unknown): ProviderError {
  return new ProviderError(provider, "permanent", message, { refusal, ...(cause !== undefined ? { cause } : {}) });
}

/** Kind of failure an HTTP status means, per the providers' documented error semantics. */
export function kindForStatus(status: number): ProviderErrorKind {
  if (status === 401 || status === 403) return "auth";
  if (status === 408 || status === 425 || status === 429 || status >= 500) return "retryable";
  return "permanent";
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
