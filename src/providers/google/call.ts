/**
 * One authenticated JSON POST to a Google Cloud API: credentials in headers (never in the URL),
 * the optional billing project, and errors made safe to log and classified the way Google means them
 * (errors.ts).
 */
import { ProviderError } from "../errors";
import { providerFetch, readJson } from "../http";
import { accessToken, forgetAccessToken } from "./access-token";
import { sanitize } from "./errors";
import type { GoogleSettings } from "./settings";

export interface GoogleOptions {
  /** Injected in tests; defaults to the global fetch. */
  fetcher?: typeof fetch | undefined;
  /** Clock for token expiry, injected in tests. */
  now?: (() => number) | undefined;
}

export async function postJson(
  url: string,
  body: unknown,
  settings: GoogleSettings,
  options: GoogleOptions,
  signal?: AbortSignal,
): Promise<unknown> {
  const auth = await authHeaders(settings, options, signal);
  const secrets = Object.values(auth).map((v) => v.replace(/^Bearer /, ""));
  try {
    const res = await providerFetch(
      url,
      {
        method: "POST",
        headers: { "Content-Type": "application/json; charset=utf-8", ...auth },
        body: JSON.stringify(body),
      },
      { provider: "google", timeoutMs: settings.timeoutMs, signal, fetcher: options.fetcher },
    );
    return await readJson("google", res);
  } catch (err) {
    // A 401 means the token itself was refused (revoked, or the account's key deleted): do not keep reusing it.
    if (err instanceof ProviderError && err.options.status === 401 && settings.credentials.kind === "service_account")
      forgetAccessToken(settings.credentials.clientEmail);
    throw err instanceof ProviderError ? sanitize(err, secrets) : err;
  }
}

async function authHeaders(
  settings: GoogleSettings,
  options: GoogleOptions,
  signal: AbortSignal | undefined,
): Promise<Record<string, string>> {
  const { credentials } = settings;
  if (credentials.kind === "api_key") {
    // https://cloud.google.com/docs/authentication/api-keys-use: "you can use the x-goog-api-key header to pass in
    // your key" instead of ?key=, which would put the secret in every logged URL.
    return { "X-Goog-Api-Key": credentials.apiKey };
  }
  const token = await accessToken(credentials, {
    fetcher: options.fetcher,
    now: options.now,
    timeoutMs: settings.timeoutMs,
    signal,
  });
  return {
    Authorization: `Bearer ${token}`,
    // https://cloud.google.com/text-to-speech/docs/endpoints (curl example): x-goog-user-project names the project
    // billed for the call. Only with OAuth: an API key is already bound to its own project.
    ...(settings.projectId ? { "x-goog-user-project": settings.projectId } : {}),
  };
}
