import { ProviderError } from "../errors";

export const PROVIDER = "openai";

/**
 * providerFetch classifies by status; one OpenAI answer needs more than its status. A 429 whose
 * error body (`{"error":{"message","type","param","code"}}`) carries `insufficient_quota` means the
 * account is out of credit ("You exceeded your current quota", see
 * https://platform.openai.com/docs/guides/error-codes): retrying cannot help, so it is reported as
 * "auth" (which opens the breaker) instead of "retryable". The quoted body is already in the message.
 */
export function reclassify(err: unknown): never {
  if (
    err instanceof ProviderError &&
    err.options.status === 429 &&
    /"(?:code|type)"\s*:\s*"insufficient_quota"/.test(err.message)
  ) {
    throw new ProviderError(
      PROVIDER,
      "auth",
      `${err.message.replace(/^openai: /, "")} (out of quota: add credit to the OpenAI account)`,
      {
        status: 429,
        cause: err,
      },
    );
  }
  throw err;
}

/**
 * Reads a 2xx body. The timeout and the client's abort still apply while the body streams in, so a
 * failure here is classified like one before the headers arrived.
 */
export async function readBody<T>(
  res: Response,
  read: (res: Response) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  try {
    return await read(res);
  } catch (err) {
    if (err instanceof ProviderError) throw err;
    if (signal?.aborted)
      throw new ProviderError(PROVIDER, "permanent", "request aborted by the client", { cause: err });
    throw new ProviderError(PROVIDER, "retryable", `the answer was cut off: ${(err as Error).message}`, { cause: err });
  }
}
