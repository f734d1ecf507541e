/**
 * Test support for the Polly adapter (imported by *.test.ts only, never by the adapter): settings
 * fixtures, responses shaped like Polly's documented answers, an independent SigV4 signer
 * (WebCrypto) to check the SDK's Authorization header against, and Polly's answers for the
 * adapter contract.
 */
import { fakeFetch } from "../../../test/helpers/outbound";
import type { ContractFixture, Failure } from "../adapter-contract";
import { httpFixture, proxyPage } from "../adapter-contract-http";
import { PollySpeechSynthesizer } from "./tts";
import { pollySettingsSchema, type PollySettings } from "./settings";

/**
 * AWS's documentation example keys (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html).
 */
export const ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE";
export const SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
export const SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQEXAMPLETOKEN";

export const BASE_ENV = { AWS_ACCESS_KEY_ID: ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY };

export function pollySettings(overrides: Record<string, string> = {}): PollySettings {
  return pollySettingsSchema.parse({ ...BASE_ENV, ...overrides });
}

export function pollyWith(responder: Parameters<typeof fakeFetch>[0], overrides: Record<string, string> = {}) {
  const { fetcher, requests } = fakeFetch(responder);
  return { tts: new PollySpeechSynthesizer(pollySettings(overrides), { fetcher }), requests };
}

/**
 * A SynthesizeSpeech success: the audio is the body, with Content-Type and
 * x-amzn-RequestCharacters headers
 * (https://docs.aws.amazon.com/polly/latest/dg/API_SynthesizeSpeech.html#API_SynthesizeSpeech_ResponseSyntax).
 */
export function audioResponse(
  bytes: Uint8Array,
  contentType: string,
  requestCharacters = "35",
  extra: Record<string, string> = {},
): Response {
  return new Response(bytes, {
    status: 200,
    headers: {
      "Content-Type": contentType,
      "x-amzn-RequestCharacters": requestCharacters,
      "x-amzn-RequestId": "4a2b6c8e-0000-4000-8000-000000000001",
      ...extra,
    },
  });
}

/**
 * A Polly error: `x-amzn-ErrorType` names the exception and the body is `{"message": "..."}`
 * (https://docs.aws.amazon.com/polly/latest/dg/CommonErrors.html). AWS often appends the
 * namespace after a colon, e.g. "ThrottlingException:http://internal.amazon.com/coral/…".
 */
export function errorResponse(
  status: number,
  type: string,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify({ message }), {
    status,
    headers: {
      "Content-Type": "application/json",
      "x-amzn-ErrorType": type,
      "x-amzn-RequestId": "4a2b6c8e-0000-4000-8000-00000000e770",
      ...headers,
    },
  });
}

/** Little-endian 16-bit PCM bytes for the given samples (Polly's audio/pcm layout). */
export function pcmBytes(samples: number[]): Uint8Array {
  const out = new Uint8Array(samples.length * 2);
  const view = new DataView(out.buffer);
  samples.forEach((s, i) => view.setInt16(i * 2, s, true));
  return out;
}

// ---- independent SigV4 (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html) ----

const enc = new TextEncoder();

async function hmac(key: Uint8Array, data: string): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, enc.encode(data)));
}

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");

export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  return hex(new Uint8Array(await crypto.subtle.digest("SHA-256", typeof data === "string" ? enc.encode(data) : data)));
}

export interface SigV4Input {
  method: string;
  /** Already URI-encoded path, e.g. "/v1/speech". */
  path: string;
  query: URLSearchParams;
  /** Lower-case header name → value, for exactly the signed headers. */
  headers: Record<string, string>;
  payload: Uint8Array;
  amzDate: string;
  region: string;
  service: string;
  secretAccessKey: string;
}

const rfc3986 = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Signature (hex) per the SigV4 steps: canonical request → string to sign → derived key → HMAC. */
export async function sigv4Signature(input: SigV4Input): Promise<string> {
  const names = Object.keys(input.headers).sort();
  const canonicalHeaders = names.map((n) => `${n}:${input.headers[n]!.trim().replace(/\s+/g, " ")}\n`).join("");
  const canonicalQuery = [...input.query.entries()]
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const canonicalRequest = [
    input.method,
    input.path,
    canonicalQuery,
    canonicalHeaders,
    names.join(";"),
    await sha256Hex(input.payload),
  ].join("\n");
  const date = input.amzDate.slice(0, 8);
  const scope = `${date}/${input.region}/${input.service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", input.amzDate, scope, await sha256Hex(canonicalRequest)].join("\n");
  let key = await hmac(enc.encode(`AWS4${input.secretAccessKey}`), date);
  key = await hmac(key, input.region);
  key = await hmac(key, input.service);
  key = await hmac(key, "aws4_request");
  return hex(await hmac(key, stringToSign));
}

/** `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` split into its parts. */
export function parseAuthorization(value: string | null) {
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(
      value ?? "",
    );
  if (!m) return null;
  return {
    accessKeyId: m[1]!,
    date: m[2]!,
    region: m[3]!,
    service: m[4]!,
    signedHeaders: m[5]!.split(";"),
    signature: m[6]!,
  };
}

// ---- the adapter contract (src/providers/adapter-contract.ts) ---------------------------------------

/**
 * Polly's exception per contract failure, with the status AWS sends it with: throttling and
 * refused access are 400s (https://docs.aws.amazon.com/polly/latest/dg/CommonErrors.html), a bad
 * key a 403, SynthesizeSpeech's own errors 400 (LexiconNotFound 404, ServiceFailure 500).
 */
const POLLY_ERRORS: Record<Failure, [number, string]> = {
  rate_limited: [400, "ThrottlingException"],
  server_error: [500, "ServiceFailureException"],
  unavailable: [503, "ServiceUnavailable"],
  bad_request: [400, "ValidationException"],
  not_found: [404, "LexiconNotFoundException"],
  unprocessable: [400, "TextLengthExceededException"],
  unauthenticated: [403, "UnrecognizedClientException"],
  forbidden: [400, "AccessDeniedException"],
};

export const contractFixtures: ContractFixture[] = [
  httpFixture({
    label: "temporary credentials",
    timeoutVar: "POLLY_TIMEOUT_MS",
    vars: () => ({ ...BASE_ENV, AWS_SESSION_TOKEN: SESSION_TOKEN }),
    // The access key id is not among them: AWS sends it in the clear in every Authorization header.
    secrets: [SECRET_ACCESS_KEY, SESSION_TOKEN],
    // AWS documents no Retry-After on Polly's throttling answers.
    sendsRetryAfter: false,
    fail: (failure, message, headers) => {
      const [status, type] = POLLY_ERRORS[failure];
      return errorResponse(status, type, message, headers);
    },
    unusable: proxyPage,
  }),
];
