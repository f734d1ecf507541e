/**
 * Shared fixtures for the Google adapter's tests (imported only by *.test.ts): settings, synthetic
 * Ogg Opus / WebM Opus headers, a freshly generated service-account key, and Google's answers for
 * the adapter contract.
 */
import { encodeWav } from "../../audio/wav";
import { concatBytes } from "../../lib/bytes";
import type { SttInput } from "../types";
import { bytesToBase64 } from "../../lib/base64";
import { jsonResponse } from "../../../test/helpers/outbound";
import type { ContractFixture, Failure } from "../adapter-contract";
import { httpFixture, proxyPage } from "../adapter-contract-http";
import { clearAccessTokens } from "./access-token";
import { DEFAULT_TOKEN_URI } from "./endpoints";
import type { GoogleSettings } from "./settings";

export const API_KEY = "AIzaSyA-test-0123456789abcdefghijklmnopq";

export function apiKeySettings(over: Partial<GoogleSettings> = {}): GoogleSettings {
  return {
    credentials: { kind: "api_key", apiKey: API_KEY },
    projectId: undefined,
    location: "global",
    sttModel: undefined,
    ttsVoice: undefined,
    timeoutMs: 10_000,
    ...over,
  };
}

export const pcmInput = (samples: Int16Array, sampleRate: number, language = "en-US"): SttInput => ({
  kind: "pcm",
  samples,
  sampleRate,
  language,
});

export const containerInput = (
  container: "ogg" | "webm" | "flac" | "mp3",
  bytes: Uint8Array,
  mediaType = `audio/${container}`,
): SttInput => ({
  kind: "container",
  container,
  mediaType,
  bytes,
  language: "en-US",
});

/** A 440 Hz tone, so sample equality checks compare something non-trivial. */
export function tone(seconds: number, rate: number): Int16Array {
  return Int16Array.from({ length: Math.round(seconds * rate) }, (_, i) =>
    Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)),
  );
}

export const wavBase64 = (samples: Int16Array, rate: number): string => bytesToBase64(encodeWav(samples, rate));

// ---- Ogg (RFC 3533 pages; the CRC is not checked by anything here, so it is left zero) ----------

function oggPage(headerType: number, granule: bigint, seq: number, data: Uint8Array): Uint8Array {
  const lacing: number[] = [];
  let left = data.length;
  while (left >= 255) {
    lacing.push(255);
    left -= 255;
  }
  lacing.push(left);
  const page = new Uint8Array(27 + lacing.length + data.length);
  const view = new DataView(page.buffer);
  page.set([0x4f, 0x67, 0x67, 0x53], 0); // "OggS"
  page[4] = 0;
  page[5] = headerType;
  view.setBigUint64(6, granule, true);
  view.setUint32(14, 0x5eed, true);
  view.setUint32(18, seq, true);
  page[26] = lacing.length;
  page.set(lacing, 27);
  page.set(data, 27 + lacing.length);
  return page;
}

export function opusHead(channels: number, inputRate: number, preSkip = 312): Uint8Array {
  const head = new Uint8Array(19);
  const view = new DataView(head.buffer);
  head.set(new TextEncoder().encode("OpusHead"), 0);
  head[8] = 1; // version
  head[9] = channels;
  view.setUint16(10, preSkip, true);
  view.setUint32(12, inputRate, true);
  return head;
}

/** An Ogg Opus stream: OpusHead page, OpusTags page, one audio page whose granule gives `seconds`. */
export function oggOpus(options: { channels?: number; inputRate?: number; seconds?: number } = {}): Uint8Array {
  const preSkip = 312;
  const granule = BigInt(Math.round((options.seconds ?? 2) * 48000) + preSkip);
  const tags = concatBytes([new TextEncoder().encode("OpusTags"), new Uint8Array(8)]);
  return concatBytes([
    oggPage(0x02, 0n, 0, opusHead(options.channels ?? 1, options.inputRate ?? 16000, preSkip)),
    oggPage(0x00, 0n, 1, tags),
    oggPage(0x04, granule, 2, new Uint8Array(200).fill(0x55)),
  ]);
}

// ---- WebM (EBML) ------------------------------------------------------------------------------------

function ebml(id: number, body: Uint8Array | number[], unknownSize = false): Uint8Array {
  const idBytes: number[] = [];
  for (let v = id; v > 0; v = Math.floor(v / 256)) idBytes.unshift(v & 0xff);
  const data = body instanceof Uint8Array ? body : Uint8Array.from(body);
  const size = new Uint8Array(8);
  size[0] = 0x01;
  if (unknownSize) size.fill(0xff, 1);
  else new DataView(size.buffer).setUint32(4, data.length);
  return concatBytes([Uint8Array.from(idBytes), size, data]);
}

const f64 = (v: number) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, v);
  return b;
};
const ascii = (s: string) => new TextEncoder().encode(s);

/** A MediaRecorder-shaped WebM: EBML header, unknown-size Segment, Info, one audio track, a Cluster. */
export function webmAudio(
  options: {
    codecId?: string;
    inputRate?: number;
    samplingFrequency?: number;
    channels?: number;
    durationMs?: number;
  } = {},
): Uint8Array {
  const codecId = options.codecId ?? "A_OPUS";
  const entry = [
    ebml(0xd7, [1]), // TrackNumber
    ebml(0x83, [2]), // TrackType: audio
    ebml(0x86, ascii(codecId)),
    ...(codecId === "A_OPUS" ? [ebml(0x63a2, opusHead(options.channels ?? 1, options.inputRate ?? 48000))] : []),
    ebml(0xe1, concatBytes([ebml(0xb5, f64(options.samplingFrequency ?? 48000)), ebml(0x9f, [options.channels ?? 1])])),
  ];
  const info = concatBytes([
    ebml(0x2ad7b1, [0x0f, 0x42, 0x40]),
    ...(options.durationMs !== undefined ? [ebml(0x4489, f64(options.durationMs))] : []),
  ]);
  const segment = concatBytes([
    ebml(0x1549a966, info),
    ebml(0x1654ae6b, ebml(0xae, concatBytes(entry))),
    ebml(0x1f43b675, new Uint8Array(64).fill(0x42), true),
  ]);
  return concatBytes([ebml(0x1a45dfa3, ebml(0x4282, ascii("webm"))), ebml(0x18538067, segment, true)]);
}

// ---- service account -------------------------------------------------------------------------------

export interface TestServiceAccount {
  json: string;
  clientEmail: string;
  publicKey: CryptoKey;
}

/** A real RSA key pair, its private half exported as PKCS#8 PEM inside a key-file-shaped JSON. */
export async function makeServiceAccount(clientEmail: string): Promise<TestServiceAccount> {
  const pair = (await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
  const der = new Uint8Array((await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer);
  const pem =
    "-----BEGIN PRIVATE KEY-----\n" +
    `${bytesToBase64(der).replace(/.{64}/g, "$&\n")}\n` +
    "-----END PRIVATE KEY-----\n";
  const json = JSON.stringify({
    type: "service_account",
    project_id: "voice-edge-test",
    private_key_id: "0123456789abcdef",
    private_key: pem,
    client_email: clientEmail,
    client_id: "100000000000000000001",
    auth_uri: "https://accounts.google.com/o/oauth2/auth",
    token_uri: "https://oauth2.googleapis.com/token",
  });
  return { json, clientEmail, publicKey: pair.publicKey };
}

export function decodeBase64Url(part: string): Uint8Array<ArrayBuffer> {
  const b64 = part.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (part.length % 4)) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

// ---- the adapter contract (src/providers/adapter-contract.ts) ---------------------------------------

/** google.rpc.Code per contract failure (https://cloud.google.com/apis/design/errors#http_mapping). */
const RPC_CODES: Record<Failure, [number, string]> = {
  rate_limited: [429, "RESOURCE_EXHAUSTED"],
  server_error: [500, "INTERNAL"],
  unavailable: [503, "UNAVAILABLE"],
  bad_request: [400, "INVALID_ARGUMENT"],
  not_found: [404, "NOT_FOUND"],
  // Google has no 422: content it cannot process ("Sync input too long") is a 400 INVALID_ARGUMENT.
  unprocessable: [400, "INVALID_ARGUMENT"],
  unauthenticated: [401, "UNAUTHENTICATED"],
  forbidden: [403, "PERMISSION_DENIED"],
};

const googleAnswers = {
  sendsRetryAfter: true,
  timeoutVar: "GOOGLE_TIMEOUT_MS",
  fail: (failure: Failure, message: string, headers: Record<string, string>) => {
    const [code, status] = RPC_CODES[failure];
    return jsonResponse({ error: { code, message, status, details: [] } }, code, headers);
  },
  unusable: proxyPage,
};

const ACCESS_TOKEN = "ya29.contract-access-token-5e0c8b2f7a1d4c9e";
/** The access token travels in every call; the private key never should. Its PEM body joins once made. */
const serviceAccountSecrets: string[] = [ACCESS_TOKEN];
let contractAccount: TestServiceAccount | undefined;

export const contractFixtures: ContractFixture[] = [
  httpFixture({ label: "API key", vars: () => ({ GOOGLE_API_KEY: API_KEY }), secrets: [API_KEY], ...googleAnswers }),
  httpFixture({
    label: "service account",
    vars: async () => {
      if (!contractAccount) {
        contractAccount = await makeServiceAccount("contract@voice-edge-test.iam.gserviceaccount.com");
        const pem = (JSON.parse(contractAccount.json) as { private_key: string }).private_key;
        serviceAccountSecrets.push(pem.split("\n").slice(1, -2).join(""));
      }
      clearAccessTokens(); // each case fetches its token afresh, through the stubbed fetch
      return { GOOGLE_SERVICE_ACCOUNT_JSON: contractAccount.json };
    },
    secrets: serviceAccountSecrets,
    aside: (url) =>
      url.href === DEFAULT_TOKEN_URI
        ? jsonResponse({ access_token: ACCESS_TOKEN, expires_in: 3600, token_type: "Bearer" })
        : undefined,
    ...googleAnswers,
  }),
];
