import { kindForStatus, parseRetryAfter, ProviderError } from "./errors";
import { maskSecrets, requestSecrets, SECRET_PARAMS } from "./secrets";

export interface ProviderFetchOptions {
  provider: string;
  timeoutMs: number;
  /** The client's signal: when the caller goes away, the upstream request is aborted too. */
  signal?: AbortSignal | undefined;
  /** Injected in tests; defaults to the global fetch. */
  fetcher?: typeof fetch | undefined;
}

/** Query parameters that carry credentials (Google's `key=`): masked in any message we log. */
const SECRET_QUERY = new RegExp(`([?&](?:${SECRET_PARAMS.join("|")})=)[^&]*`, "gi");

export function redactUrl(url: string): string {
  return url.replace(SECRET_QUERY, "$1***");
}

/**
 * The credentials each 2xx answer's request was sent with, so readJson can mask them out of an
 * unreadable answer it quotes (a proxy page that echoes the request, say). Keyed by the Response
 * providerFetch returned; gone with it.
 */
const answerSecrets = new WeakMap<Response, readonly string[]>();

/**
 * fetch for provider calls: a per-provider timeout joined with the client's abort signal, and
 * every non-2xx status, timeout or network failure turned into a classified ProviderError that
 * quotes (a short part of) the provider's error body for logs and never the request's secrets.
 */
export async function providerFetch(url: string, init: RequestInit, options: ProviderFetchOptions): Promise<Response> {
  const secrets = requestSecrets(url, init.headers);
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  let res: Response;
  try {
    res = await (options.fetcher ?? fetch)(url, { ...init, signal });
  } catch (err) {
    if (options.signal?.aborted)
      throw new ProviderError(options.provider, "permanent", "request aborted by the client", { cause: err });
    if (timeout.aborted)
      throw new ProviderError(options.provider, "retryable", `no answer within ${options.timeoutMs} ms`, {
        cause: err,
      });
    throw new ProviderError(
      options.provider,
      "retryable",
      `network error calling ${redactUrl(url)}: ${maskSecrets((err as Error).message, secrets)}`,
      { cause: err },
    );
  }
  if (res.ok) {
    answerSecrets.set(res, secrets);
    return res;
  }
  // Masked before it is cut short: a cut through a key would leave its start in the message.
  const body = maskSecrets(await res.text().catch(() => ""), secrets).slice(0, 500);
  const retryAfterMs = parseRetryAfter(res.headers.get("Retry-After"));
  throw new ProviderError(
    options.provider,
    kindForStatus(res.status),
    `HTTP ${res.status} from ${redactUrl(url)}${body ? `: ${body}` : ""}`,
    {
      status: res.status,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    },
  );
}

/** Parses a provider's JSON answer; a 2xx with a body we cannot read is an invalid_response. */
export async function readJson<T>(provider: string, res: Response): Promise<T> {
  const text = await res.text();
  try {
    return JSON.parse(text) as T;
  } catch {
    const quoted = maskSecrets(text, answerSecrets.get(res) ?? []).slice(0, 200);
    throw new ProviderError(provider, "invalid_response", `answer is not JSON: ${quoted}`);
  }
}
