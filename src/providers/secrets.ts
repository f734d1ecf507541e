/**
 * Credentials a provider request carries, and masking them out of any text we quote from the
 * provider. Providers echo requests back in error bodies (Google's DebugInfo quotes the API key,
 * AWS quotes the canonical request, proxies and self-hosted servers quote headers), and those
 * bodies end up in ProviderError messages and logs.
 */

/** Header names whose values are credentials (Authorization, x-goog-api-key, Ocp-Apim-Subscription-Key...). */
const CREDENTIAL_HEADER = /authorization|api-?key|subscription-key|token|secret|cookie/i;
/** Query parameters that carry credentials (Google's `key=`). */
export const SECRET_PARAMS = ["key", "api_key", "apikey", "token", "access_token", "sig", "signature"];
/** Shorter values are not masked: they would mangle the message and cannot be a key. */
const MIN_SECRET = 8;

/** The credential values of a request: credential headers (also without their "Bearer "-style scheme), URL secrets. */
export function requestSecrets(url: string, headers: HeadersInit | undefined): string[] {
  const secrets: string[] = [];
  for (const [name, value] of new Headers(headers)) {
    if (!CREDENTIAL_HEADER.test(name)) continue;
    secrets.push(value);
    const credentials = /^[A-Za-z][\w-]*\s+(\S.*)$/.exec(value)?.[1];
    if (credentials) secrets.push(credentials);
  }
  if (URL.canParse(url))
    for (const [name, value] of new URL(url).searchParams)
      if (SECRET_PARAMS.includes(name.toLowerCase())) secrets.push(value);
  return secrets.filter((s) => s.length >= MIN_SECRET);
}

/**
 * `text` with every secret replaced by "***". Mask before cutting a quote short: a cut through a
 * secret would leave its first characters unmasked.
 */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  // Longest first, so a secret that contains another ("Bearer <key>" and "<key>") is masked whole.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length))
    if (secret) text = text.split(secret).join("***");
  return text;
}
