/** Shared by this folder's tests and the contracts (never imported by runtime code). */
import { jsonResponse } from "../../../test/helpers/outbound";
import type { ContractFixture, Failure } from "../adapter-contract";
import { httpFixture, proxyPage } from "../adapter-contract-http";
import { elevenLabsSettingsSchema, type ElevenLabsSettings } from "./settings";

export const KEY = "sk_el_test_0123456789abcdef0123456789abcdef";

export const settingsFrom = (vars: Record<string, string> = {}): ElevenLabsSettings =>
  elevenLabsSettingsSchema.parse({ ELEVENLABS_API_KEY: KEY, ...vars });

/**
 * ElevenLabs' error answers per contract failure: `{"detail": {"status", "message"}}`
 * (https://help.elevenlabs.io/hc/en-us/articles/19572237925521-API-Error-Code-400-or-401), and a
 * FastAPI validation answer for 422 (`{"detail": [{"loc", "msg", "type"}]}`).
 */
const ERRORS: Record<Exclude<Failure, "unprocessable">, [number, string]> = {
  rate_limited: [429, "too_many_concurrent_requests"],
  server_error: [500, "internal_error"],
  unavailable: [503, "system_busy"],
  bad_request: [400, "max_character_limit_exceeded"],
  not_found: [404, "voice_not_found"],
  unauthenticated: [401, "invalid_api_key"],
  forbidden: [403, "missing_permissions"],
};

export function elevenLabsError(failure: Failure, message: string, headers: Record<string, string> = {}): Response {
  if (failure === "unprocessable")
    return jsonResponse({ detail: [{ loc: ["body", "text"], msg: message, type: "value_error" }] }, 422, headers);
  const [status, code] = ERRORS[failure];
  return jsonResponse({ detail: { status: code, message } }, status, headers);
}

export const contractFixtures: ContractFixture[] = [
  httpFixture({
    label: "API key",
    timeoutVar: "ELEVENLABS_TIMEOUT_MS",
    vars: () => ({ ELEVENLABS_API_KEY: KEY }),
    secrets: [KEY],
    sendsRetryAfter: false,
    fail: elevenLabsError,
    unusable: proxyPage,
  }),
];
