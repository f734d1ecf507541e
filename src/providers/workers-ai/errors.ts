import { kindForStatus, ProviderError } from "../errors";
import type { ProviderErrorKind } from "../../call/attempts";

export const PROVIDER = "workers-ai";

/**
 * Workers AI internal error codes and the HTTP status each stands for, from
 * https://developers.cloudflare.com/workers-ai/platform/errors/ . The binding throws an Error whose
 * message starts with the code ("3040: Capacity temporarily exceeded, please try again.",
 * "AiError: 5006: Error: required properties at '/' are 'audio'"). 5006 is not in the table: it is
 * what the binding reports when inputs fail the model's JSON schema, i.e. a 400.
 */
const CODE_STATUS: Record<number, number> = {
  3003: 400, // incomplete request
  3006: 413, // request too large
  3007: 408, // timeout
  3008: 408, // aborted (by Cloudflare: our own aborts are classified before this)
  3023: 403, // account blocked
  3036: 429, // daily free allocation used up
  3039: 400, // finetune missing files
  3040: 429, // out of capacity: no more data centres to forward to
  3041: 403, // account not allowed for private model
  3042: 404, // invalid model id
  5004: 400, // invalid base64 data
  5005: 405, // LoRA unsupported
  5006: 400, // input validation (see above)
  5007: 400, // no such model
  5016: 403, // model agreement not accepted
  5018: 403, // account not allowed for private model
  5019: 405, // deprecated SDK
};

/** Code 3036: the account's daily free neurons are gone; retrying before the reset cannot help. */
const ALLOCATION_EXHAUSTED = 3036;

/**
 * Classifies what `env.AI.run` threw. Known codes map through their documented status
 * (400/404/405/413 permanent, 403 auth, 408/429 retryable; 3036 is reported as auth so the breaker
 * opens instead of retrying all day). Unknown failures (InferenceUpstreamError, AiInternalError,
 * network errors) are treated like a 5xx: retryable. Schema complaints without a code ("Bad input")
 * are permanent.
 */
export function classifyBindingError(err: unknown): ProviderError {
  if (err instanceof ProviderError) return err;
  // Name the error class (InferenceUpstreamError, AiInternalError...) unless the message already does.
  const named = err instanceof Error && err.name !== "Error" && !err.message.startsWith(err.name);
  const message = (err instanceof Error ? (named ? `${err.name}: ${err.message}` : err.message) : String(err)).slice(
    0,
    500,
  );
  const code = Number(/(?:^|[^\d])([35]\d{3}):/.exec(message)?.[1]);
  let status: number | undefined = CODE_STATUS[code];
  let kind: ProviderErrorKind;
  if (code === ALLOCATION_EXHAUSTED) kind = "auth";
  else if (status !== undefined) kind = kindForStatus(status);
  else if (/bad input|invalid input|validation/i.test(message)) {
    kind = "permanent";
    status = 400;
  } else kind = "retryable";
  return new ProviderError(PROVIDER, kind, message || "the AI binding failed without a message", {
    ...(status !== undefined ? { status } : {}),
    cause: err,
  });
}

export const invalidResponse = (message: string) => new ProviderError(PROVIDER, "invalid_response", message);
