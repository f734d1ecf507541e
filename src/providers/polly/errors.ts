import { kindForStatus, parseRetryAfter, ProviderError, type Refusal } from "../errors";
import type { ProviderErrorKind } from "../../call/attempts";
import { maskSecrets } from "../secrets";

/**
 * Turns what the Polly SDK throws into our classified ProviderError, with the same semantics as
 * providerFetch (which the SDK path cannot use directly, since the SDK owns the HTTP exchange).
 *
 * Polly names every error in the `x-amzn-ErrorType` header and a `{"message": "..."}` body
 * (https://docs.aws.amazon.com/polly/latest/dg/CommonErrors.html); the SDK surfaces the name as
 * `err.name`, the status as `err.$metadata.httpStatusCode` and keeps the raw response (headers) in
 * the hidden `err.$response`. The status alone is not enough: AWS reports throttling and some
 * auth failures as 400, so the error name decides first and the status is the fallback.
 */

/** Credentials that are wrong, expired or not allowed to call Polly: retrying will not help. */
const AUTH = new Set([
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "SignatureDoesNotMatch",
  "IncompleteSignature",
  "IncompleteSignatureException",
  "InvalidClientTokenId",
  "MissingAuthenticationToken",
  "MissingAuthenticationTokenException",
  "AccessDeniedException",
  "AccessDenied",
  "NotAuthorized",
  "ExpiredToken",
  "ExpiredTokenException",
  "OptInRequired",
]);

/** Capacity and server-side failures worth retrying (after Retry-After when given). */
const RETRYABLE = new Set([
  "ThrottlingException",
  "Throttling",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "ServiceFailureException",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "InternalFailure",
  "InternalServerError",
  "RequestTimeout",
  "RequestTimeoutException",
]);

/**
 * SynthesizeSpeech's request errors (all 400, LexiconNotFound 404): the same request will fail
 * again. https://docs.aws.amazon.com/polly/latest/dg/API_SynthesizeSpeech.html#API_SynthesizeSpeech_Errors
 */
const PERMANENT = new Set([
  "TextLengthExceededException",
  "InvalidSampleRateException",
  "InvalidSsmlException",
  "LanguageNotSupportedException",
  "EngineNotSupportedException",
  "LexiconNotFoundException",
  "MarksNotSupportedForFormatException",
  "SsmlMarksNotSupportedForTextTypeException",
  "ValidationException",
]);

const JS_ERRORS = new Set(["Error", "SyntaxError", "TypeError", "RangeError"]);

interface SdkError {
  name?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: number; requestId?: string };
  $retryable?: unknown;
  $response?: { statusCode?: number; headers?: Record<string, string | undefined> };
}

export interface ErrorContext {
  provider: string;
  timeoutMs: number;
  /** Our timeout signal and the client's: which one fired tells timeout from client abort. */
  timeout: AbortSignal;
  clientSignal?: AbortSignal | undefined;
  /** Where the request went, for the log message (no secrets in Polly URLs). */
  endpoint: string;
  /** Values that must never appear in a message (AWS echoes signed headers in some errors). */
  secrets: readonly string[];
}

function header(err: SdkError, name: string): string | undefined {
  const headers = err.$response?.headers ?? {};
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return v;
  return undefined;
}

/** "ThrottlingException:http://internal.amazon.com/coral/…" → "ThrottlingException". */
function errorType(err: SdkError): string {
  const fromHeader = header(err, "x-amzn-errortype")?.split(":")[0]?.trim();
  if (fromHeader) return fromHeader;
  // A JavaScript error here means the SDK could not even parse the error body (e.g. an HTML page).
  if (typeof err.name !== "string" || JS_ERRORS.has(err.name)) return "UnknownError";
  return err.name;
}

/**
 * The first line of the provider's message, capped, with any credential masked: a signature
 * mismatch message goes on to quote the canonical request, signed header values included.
 */
function safeMessage(err: SdkError, secrets: readonly string[]): string {
  // Masked before the cut: a cut through a secret would leave its first characters in the message.
  return maskSecrets(typeof err.message === "string" ? err.message : String(err), secrets)
    .split("\n")[0]!
    .slice(0, 300);
}

function kindFor(type: string, status: number, err: SdkError): ProviderErrorKind {
  if (AUTH.has(type)) return "auth";
  if (RETRYABLE.has(type) || err.$retryable) return "retryable";
  if (PERMANENT.has(type)) return "permanent";
  // The SDK answered 2xx but could not read it (e.g. a malformed response header).
  if (status >= 200 && status < 300) return "invalid_response";
  return kindForStatus(status);
}

export function toProviderError(thrown: unknown, ctx: ErrorContext): ProviderError {
  if (thrown instanceof ProviderError) return thrown;
  // Our own signals first: an AbortError looks the same whether the caller left or time ran out.
  if (ctx.clientSignal?.aborted)
    return new ProviderError(ctx.provider, "permanent", "request aborted by the client", { cause: thrown });
  if (ctx.timeout.aborted)
    return new ProviderError(ctx.provider, "retryable", `no answer within ${ctx.timeoutMs} ms`, { cause: thrown });

  const err = (typeof thrown === "object" && thrown !== null ? thrown : { message: String(thrown) }) as SdkError;
  const status = err.$metadata?.httpStatusCode ?? err.$response?.statusCode;
  const message = safeMessage(err, ctx.secrets);
  if (status === undefined) {
    // No HTTP answer at all: DNS, connection reset, TLS. Transient as far as we can tell.
    return new ProviderError(ctx.provider, "retryable", `network error calling ${ctx.endpoint}: ${message}`, {
      cause: thrown,
    });
  }
  const type = errorType(err);
  const retryAfterMs = parseRetryAfter(header(err, "retry-after") ?? null);
  const requestId = err.$metadata?.requestId ? ` (request id ${err.$metadata.requestId})` : "";
  return new ProviderError(
    ctx.provider,
    kindFor(type, status, err),
    `HTTP ${status} ${type} from ${ctx.endpoint}${requestId}: ${message}`,
    {
      // No `cause`: the SDK error's full message may quote signed headers (a session token).
      status,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      ...(REFUSALS[type] ? { refusal: REFUSALS[type] } : {}),
    },
  );
}

/** Polly's error types that say what about the request it refused (its API reference's error list). */
const REFUSALS: Partial<Record<string, Refusal>> = {
  LanguageNotSupportedException: "language",
  TextLengthExceededException: "text",
};
