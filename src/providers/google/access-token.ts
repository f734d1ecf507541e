/**
 * OAuth access tokens for a service account, cached per isolate.
 *
 * One token serves every request in the isolate until 5 minutes before it expires; then the next
 * caller refreshes it. Concurrent callers share one in-flight refresh (one token request, not one
 * per request). A failed refresh is not cached: the next call tries again, and while the old token
 * is still valid it keeps being used.
 *
 * Workers specifics: a refresh runs inside the request that started it, so it must not be tied to
 * that request's client signal (a hang-up would fail everyone waiting on it), and if that request's
 * context ends before the answer arrives the promise may never settle. Each waiter therefore races
 * the shared refresh against its own abort signal, and an in-flight refresh older than the timeout
 * is abandoned and started afresh rather than awaited forever.
 */
import { z } from "zod";
import { ProviderError } from "../errors";
import { providerFetch, readJson } from "../http";
import { CLOUD_PLATFORM_SCOPE } from "./endpoints";
import { importPrivateKey, signJwt } from "./jwt";
import type { ServiceAccountKey } from "./settings";

/** Refresh this long before the token's own expiry, so no call goes out with a token about to lapse. */
export const REFRESH_MARGIN_MS = 5 * 60_000;
/** Lifetime requested for the assertion: Google's maximum, one hour after iat. */
const ASSERTION_LIFETIME_S = 3600;

export interface TokenOptions {
  fetcher?: typeof fetch | undefined;
  /** Milliseconds since the epoch; injected by tests to move past expiry. */
  now?: (() => number) | undefined;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

interface CachedToken {
  token: string;
  expiresAt: number;
  refreshAt: number;
}

const tokens = new Map<string, CachedToken>();
const inFlight = new Map<string, { promise: Promise<CachedToken>; startedAt: number }>();

/** Drops one account's token after Google refused it (401), so the next call fetches a fresh one. */
export function forgetAccessToken(clientEmail: string): void {
  tokens.delete(clientEmail);
}

/** Forgets every cached token (tests; or after a key rotation in the same isolate). */
export function clearAccessTokens(): void {
  tokens.clear();
  inFlight.clear();
}

/**
 * Token endpoint answer (https://developers.google.com/identity/protocols/oauth2/service-account#handlingtheresponse):
 * {"access_token": "...", "scope": "...", "token_type": "Bearer", "expires_in": 3600}.
 */
const tokenResponse = z.object({
  access_token: z.string().min(1),
  expires_in: z.number().positive(),
  token_type: z.string().optional(),
});

export async function accessToken(account: ServiceAccountKey, options: TokenOptions): Promise<string> {
  const now = (options.now ?? Date.now)();
  const key = account.clientEmail;
  const cached = tokens.get(key);
  if (cached && now < cached.refreshAt) return cached.token;

  let pending = inFlight.get(key);
  if (!pending || now - pending.startedAt > options.timeoutMs + 1000) {
    const promise = requestToken(account, options, now).then((fresh) => {
      tokens.set(key, fresh);
      return fresh;
    });
    const entry = { promise, startedAt: now };
    inFlight.set(key, entry);
    // Settled either way: stop sharing it. (The catch also keeps an abandoned refresh from being an unhandled
    // rejection.)
    promise.then(
      () => inFlight.get(key) === entry && inFlight.delete(key),
      () => inFlight.get(key) === entry && inFlight.delete(key),
    );
    pending = entry;
  }
  try {
    return (await settleWithin(pending.promise, options.signal, options.timeoutMs)).token;
  } catch (err) {
    // A token that has not expired yet is still good; the next call will try the refresh again.
    if (cached && now < cached.expiresAt && !options.signal?.aborted) return cached.token;
    throw err;
  }
}

async function requestToken(account: ServiceAccountKey, options: TokenOptions, now: number): Promise<CachedToken> {
  const iat = Math.floor(now / 1000);
  // Claims per https://developers.google.com/identity/protocols/oauth2/service-account#jwt-auth ("Forming the JWT claim
  // set").
  const assertion = await signJwt(
    {
      iss: account.clientEmail,
      scope: CLOUD_PLATFORM_SCOPE,
      aud: account.tokenUri,
      iat,
      exp: iat + ASSERTION_LIFETIME_S,
    },
    await importPrivateKey(account.privateKeyPem),
  );
  let res: Response;
  try {
    // "Making the access token request": a form-encoded POST with the jwt-bearer grant type.
    res = await providerFetch(
      account.tokenUri,
      {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion }).toString(),
      },
      // No client signal: this refresh may be shared with other requests (see the file comment).
      { provider: "google", timeoutMs: options.timeoutMs, fetcher: options.fetcher },
    );
  } catch (err) {
    // invalid_grant / unauthorized_client (a deleted key, a disabled account, a skewed clock) are 400/401:
    // credentials trouble, not a bad request we could fix by changing the audio.
    if (err instanceof ProviderError && err.kind === "permanent") {
      throw new ProviderError(
        "google",
        "auth",
        `service account token refused: ${err.message.replace(/^google: /, "")}`,
        { ...err.options, cause: err },
      );
    }
    throw err;
  }
  const parsed = tokenResponse.safeParse(await readJson("google", res));
  if (!parsed.success)
    throw new ProviderError(
      "google",
      "invalid_response",
      "the token endpoint answered without an access_token/expires_in",
    );
  const lifetimeMs = parsed.data.expires_in * 1000;
  const expiresAt = now + lifetimeMs;
  // A token shorter-lived than twice the margin is refreshed halfway instead, so it is still cached.
  return {
    token: parsed.data.access_token,
    expiresAt,
    refreshAt: expiresAt - Math.min(REFRESH_MARGIN_MS, lifetimeMs / 2),
  };
}

/**
 * Waits for a (possibly shared) refresh, but no longer than the caller's own signal allows, and no
 * longer than the fetch's own timeout plus a second: past that the refresh's request context has
 * gone away without settling it, and this caller gets a retryable error instead of a hang.
 */
function settleWithin<T>(promise: Promise<T>, signal: AbortSignal | undefined, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) return reject(aborted());
    const onAbort = () => reject(aborted());
    const timer = setTimeout(
      () => reject(new ProviderError("google", "retryable", `no access token within ${timeoutMs} ms`)),
      timeoutMs + 1000,
    );
    signal?.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    });
  });
}

const aborted = () => new ProviderError("google", "permanent", "request aborted by the client");
