/**
 * Twilio request signatures (the `X-Twilio-Signature` header on webhooks and on the Media Streams
 * WebSocket handshake), with WebCrypto only.
 *
 * The algorithm, as documented in https://www.twilio.com/docs/usage/webhooks/webhooks-security
 * ("Explore the algorithm yourself"):
 *   1. take the full URL Twilio requested, from the scheme through the end of the query string;
 *   2. for a form POST, sort the POST parameters by name ("Unix-style case-sensitive sorting
 *      order", i.e. byte order) and append each name and value with no delimiters;
 *   3. HMAC-SHA1 that string (UTF-8) keyed with the Auth Token; base64 the 20-byte MAC.
 * A GET (or the WebSocket handshake) has no POST parameters: its parameters are already in the URL.
 *
 * Repeated form keys: Twilio's helper libraries sort a key's values and drop duplicate values
 * (twilio-node `toFormUrlEncodedParam`, https://github.com/twilio/twilio-node/blob/main/src/webhooks/webhooks.ts;
 * twilio-php `RequestValidatorTest::testValidateWithArrayAndDuplicates` expects
 * Digits=[5678,1234,1234] to sign as Digits1234Digits5678). We do the same.
 *
 * WHICH URL: the one Twilio called, i.e. the public URL configured in the Twilio console or
 * TwiML, not the URL this Worker sees. Behind a proxy, tunnel or custom-domain rewrite the
 * incoming `Request.url` can differ in scheme, host, port or path, so callers must rebuild the URL
 * from the configured public base URL (plus the path and the raw, still percent-encoded query
 * string of the request) and pass that here. Twilio's error 57012 page
 * (https://www.twilio.com/docs/api/errors/57012) lists "not exactly the same URL" as the first cause.
 *
 * URL quirks handled by `verifyTwilioSignature` (each variant is tried; any match accepts):
 *  - ports: the webhooks-security page says Twilio keeps the port for HTTP and SMS callbacks but
 *    drops it for voice callbacks over HTTPS, and the helper libraries try the URL both with and
 *    without the port, adding the scheme's default (:443 / :80) when none is written (twilio-node
 *    `validateRequest`: "since signature generation on the back end is inconsistent");
 *  - credentials: "Twilio will drop the username and password (if any) from the URL before
 *    computing the signature", so a URL with user:pass@ is also tried without them;
 *  - WebSocket handshakes: the same page says "try appending a trailing / character to the URL"
 *    for Media Streams handshakes; opt in with `{ trailingSlash: true }`.
 * Variants come from string edits of the URL as given, never from `new URL()`, whose
 * normalisation (lower-casing the host, re-encoding the query) would change the signed bytes.
 */
import { bytesToBase64 } from "../lib/base64";
import { timingSafeEqualStrings } from "../security/crypto";

export const TWILIO_SIGNATURE_HEADER = "X-Twilio-Signature";

/**
 * The decoded form fields of the request (application/x-www-form-urlencoded body), exactly as
 * received: every field, untrimmed. `new URLSearchParams(await request.text())` gives them.
 * Pass `{}` (or `[]`) for a GET or a WebSocket handshake.
 */
export type TwilioParams =
  Readonly<Record<string, string>> | ReadonlyArray<readonly [string, string]> | URLSearchParams;

export interface VerifyOptions {
  /** Also try the URL with a `/` appended to its path (Media Streams WSS handshakes; see above). */
  trailingSlash?: boolean;
}

/**
 * Order by Unicode code point, which is UTF-8 byte order (the "Unix-style" C-locale order Twilio
 * documents). Plain `<` on JS strings compares UTF-16 units, which puts U+E000..U+FFFF after
 * astral characters; the surrogate check fixes that case.
 */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

function entriesOf(params: TwilioParams): ReadonlyArray<readonly [string, string]> {
  if (params instanceof URLSearchParams) return [...params.entries()];
  if (Array.isArray(params)) return params as ReadonlyArray<readonly [string, string]>;
  return Object.entries(params as Readonly<Record<string, string>>);
}

/** The string Twilio signs: the URL, then each parameter name+value sorted by name then value, duplicates dropped. */
export function twilioSigningString(url: string, params: TwilioParams = {}): string {
  const byKey = new Map<string, Set<string>>();
  for (const [key, value] of entriesOf(params)) {
    let values = byKey.get(key);
    if (!values) byKey.set(key, (values = new Set()));
    values.add(value);
  }
  let out = url;
  for (const key of [...byKey.keys()].sort(compareCodePoints)) {
    for (const value of [...(byKey.get(key) ?? [])].sort(compareCodePoints)) out += key + value;
  }
  return out;
}

async function hmacSha1Base64(key: string, data: string): Promise<string> {
  const enc = new TextEncoder();
  const k = await crypto.subtle.importKey("raw", enc.encode(key), { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);
  return bytesToBase64(new Uint8Array(await crypto.subtle.sign("HMAC", k, enc.encode(data))));
}

/** The base64 `X-Twilio-Signature` Twilio would send for this URL and these form parameters. */
export async function twilioSignature(authToken: string, url: string, params: TwilioParams = {}): Promise<string> {
  if (!authToken) throw new TypeError("twilioSignature: the auth token is empty");
  return hmacSha1Base64(authToken, twilioSigningString(url, params));
}

const DEFAULT_PORTS: Record<string, string> = { "https:": "443", "wss:": "443", "http:": "80", "ws:": "80" };

/**
 * The URL spellings Twilio may have signed for `url` (see the module comment), the URL as given
 * first. A string that is not an absolute `scheme://authority...` URL is returned alone.
 */
export function signedUrlVariants(url: string, options: VerifyOptions = {}): string[] {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*:)\/\/([^/?#]*)(.*)$/s.exec(url);
  if (!m) return [url];
  const [, scheme = "", authority = "", rest = ""] = m;
  const at = authority.lastIndexOf("@");
  const userinfo = at >= 0 ? authority.slice(0, at + 1) : "";
  const hostPort = authority.slice(at + 1);
  // An IPv6 literal is bracketed; its colons are not a port separator.
  const portMatch = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(hostPort);
  const host = portMatch?.[1] ?? hostPort;
  const port = portMatch?.[2];
  const defaultPort = DEFAULT_PORTS[scheme.toLowerCase()];

  const hostForms = [hostPort];
  if (port !== undefined) hostForms.push(host);
  else if (defaultPort) hostForms.push(`${host}:${defaultPort}`);
  const userForms = userinfo ? [userinfo, ""] : [""];

  const out = new Set<string>([url]);
  for (const u of userForms) for (const h of hostForms) out.add(`${scheme}//${u}${h}${rest}`);
  if (options.trailingSlash) {
    for (const variant of [...out]) {
      const cut = variant.search(/[?#]/);
      const head = cut < 0 ? variant : variant.slice(0, cut);
      const tail = cut < 0 ? "" : variant.slice(cut);
      // A path not already ending in "/" gets one; so does no path at all ("wss://host").
      if (!head.endsWith("/")) out.add(`${head}/${tail}`);
    }
  }
  return [...out];
}

/**
 * Whether `header` is a valid Twilio signature of `url` + `params` under any of the tokens (pass
 * the primary and secondary Auth Tokens during a rotation). A missing, empty or malformed header
 * is false, as is an empty token list. Every candidate is computed and compared in constant time
 * (no early exit), so the timing does not reveal which URL variant or token matched.
 */
export async function verifyTwilioSignature(
  authTokens: string | readonly string[],
  url: string,
  params: TwilioParams,
  header: string | null | undefined,
  options: VerifyOptions = {},
): Promise<boolean> {
  if (!header) return false;
  const tokens = (typeof authTokens === "string" ? [authTokens] : authTokens).filter((t) => t.length > 0);
  if (tokens.length === 0) return false;
  const checks: Promise<boolean>[] = [];
  for (const variant of signedUrlVariants(url, options)) {
    const data = twilioSigningString(variant, params);
    for (const token of tokens)
      checks.push(hmacSha1Base64(token, data).then((expected) => timingSafeEqualStrings(expected, header)));
  }
  const results = await Promise.all(checks);
  return results.some(Boolean);
}
