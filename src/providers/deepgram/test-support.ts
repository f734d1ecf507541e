/**
 * Shared pieces for this folder's tests: settings as the module would parse them, a fixture's samples,
 * and Deepgram's answers for the adapter contract.
 */
import wav from "../../../test/fixtures/audio/balance-16k.wav";
import { pcm16ToSamples } from "../../audio/pcm";
import { jsonResponse } from "../../../test/helpers/outbound";
import { parseWav } from "../../audio/wav";
import type { ContractFixture, Failure } from "../adapter-contract";
import { httpFixture, proxyPage } from "../adapter-contract-http";
import { DEEPGRAM_HOSTS, deepgramSettingsSchema, type DeepgramRegion, type DeepgramSettings } from "./settings";

export const KEY = "dg-test-key-0123456789abcdef0123456789ab";

/** Settings for a cloud region; the base URL follows `region` unless given. */
export const settings = (overrides: Partial<DeepgramSettings> = {}): DeepgramSettings => ({
  key: KEY,
  region: "global",
  baseUrl: `https://${DEEPGRAM_HOSTS[(overrides.region ?? "global") as DeepgramRegion]}`,
  sttModel: "nova-3",
  ttsModel: "aura-2-thalia-en",
  timeoutMs: 5000,
  ...overrides,
});

/** Settings as the module parses them from these vars (no key unless given). */
export const settingsFrom = (vars: Record<string, string>): DeepgramSettings => deepgramSettingsSchema.parse(vars);

export function fixtureSamples(): { samples: Int16Array; sampleRate: number } {
  const parsed = parseWav(wav);
  return { samples: pcm16ToSamples(parsed.data, true), sampleRate: parsed.sampleRate };
}

/** Shaped like the documented pre-recorded response (reference/speech-to-text/listen-pre-recorded). */
export const LISTEN_ANSWER = {
  metadata: {
    transaction_key: "deprecated",
    request_id: "a847f427-4ad5-4d67-9b95-db801e58251c",
    sha256: "154e291ecfa8be6ab8343560bcc109008fa7853eb5372533e8efdefc9b504c33",
    created: "2024-05-12T18:57:13.426Z",
    duration: 2.4,
    channels: 1,
    models: ["30089e05-99d1-4376-b32e-c263170674af"],
    model_info: {
      "30089e05-99d1-4376-b32e-c263170674af": { name: "general-nova-3", version: "2024-12-20.0", arch: "nova-3" },
    },
  },
  results: {
    channels: [
      {
        alternatives: [
          {
            transcript: "Your balance is $100.",
            confidence: 0.99902344,
            words: [
              { word: "your", start: 0.08, end: 0.32, confidence: 0.9975586, punctuated_word: "Your" },
              { word: "balance", start: 0.32, end: 0.7999999, confidence: 0.99902344, punctuated_word: "balance" },
              { word: "is", start: 0.7999999, end: 0.96, confidence: 0.9980469, punctuated_word: "is" },
              {
                word: "one hundred dollars",
                start: 0.96,
                end: 2.1599998,
                confidence: 0.9736328,
                punctuated_word: "$100.",
              },
            ],
          },
        ],
      },
    ],
  },
};

/** Deepgram's documented error codes (https://developers.deepgram.com/reference/errors) per contract failure. */
const ERR_CODES: Record<Failure, [number, string]> = {
  rate_limited: [429, "TOO_MANY_REQUESTS"],
  server_error: [500, "INTERNAL_SERVER_ERROR"],
  unavailable: [503, "SERVICE_UNAVAILABLE"],
  bad_request: [400, "Bad Request"],
  not_found: [404, "PROJECT_NOT_FOUND"],
  // "Deepgram was unable to process the request because the audio data was incomplete or interrupted".
  unprocessable: [422, "UNPROCESSABLE_ENTITY"],
  unauthenticated: [401, "INVALID_AUTH"],
  forbidden: [403, "INSUFFICIENT_PERMISSIONS"],
};

/** Deepgram for the adapter contract (src/providers/adapter-contract.ts): its `err_code`/`err_msg` bodies. */
export const contractFixtures: ContractFixture[] = [
  httpFixture({
    label: "API key",
    timeoutVar: "DEEPGRAM_TIMEOUT_MS",
    vars: () => ({ DEEPGRAM_API_KEY: KEY }),
    secrets: [KEY],
    sendsRetryAfter: true,
    fail: (failure, message, headers) => {
      const [status, code] = ERR_CODES[failure];
      return jsonResponse(
        { err_code: code, err_msg: message, request_id: "5c1e9a0e-2f4b-4d8e-9c6a-1b2d3e4f5a6b" },
        status,
        headers,
      );
    },
    unusable: proxyPage,
  }),
];
