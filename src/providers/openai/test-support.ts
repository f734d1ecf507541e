/** Shared by this folder's tests only (never imported by runtime code). */
import { jsonResponse, type RecordedRequest } from "../../../test/helpers/outbound";
import type { ContractFixture, Failure } from "../adapter-contract";
import { httpFixture, proxyPage } from "../adapter-contract-http";
import { openAiSettingsSchema, type OpenAiSettings } from "./settings";

export const TEST_KEY = "sk-test-0123456789abcdef";

/** Settings as the module would parse them from these vars/secrets. */
export function settingsFrom(env: Record<string, string> = {}): OpenAiSettings {
  return openAiSettingsSchema.parse({ OPENAI_API_KEY: TEST_KEY, ...env });
}

/** Decodes a recorded multipart/form-data body the way a server would. */
export function formOf(req: RecordedRequest): Promise<FormData> {
  return new Request("https://decode.invalid/", { method: "POST", headers: req.headers, body: req.body }).formData();
}

export async function fileBytes(value: File | string | null): Promise<Uint8Array> {
  if (!(value instanceof File)) throw new Error("expected a file part");
  return new Uint8Array(await value.arrayBuffer());
}

export { MP3_BYTES } from "../../audio/test-signals";

/** OpenAI's error bodies (https://platform.openai.com/docs/guides/error-codes): [status, type, code]. */
const OPENAI_ERRORS: Record<Exclude<Failure, "unprocessable">, [number, string, string | null]> = {
  rate_limited: [429, "requests", "rate_limit_exceeded"],
  server_error: [500, "server_error", null],
  unavailable: [503, "server_error", "engine_overloaded"],
  bad_request: [400, "invalid_request_error", null],
  not_found: [404, "invalid_request_error", "model_not_found"],
  unauthenticated: [401, "invalid_request_error", "invalid_api_key"],
  forbidden: [403, "request_forbidden", "unsupported_country_region_territory"],
};

/**
 * OpenAI for the adapter contract (src/providers/adapter-contract.ts). api.openai.com answers
 * `{"error": {...}}`; a 422 comes from the self-hosted servers the adapter also serves (FastAPI's
 * validation answer, `{"detail": [{"loc", "msg", "type"}]}`).
 */
export const contractFixtures: ContractFixture[] = [
  httpFixture({
    label: "API key",
    timeoutVar: "OPENAI_TIMEOUT_MS",
    vars: () => ({ OPENAI_API_KEY: TEST_KEY }),
    secrets: [TEST_KEY],
    sendsRetryAfter: true,
    fail: (failure, message, headers) => {
      if (failure === "unprocessable")
        return jsonResponse({ detail: [{ loc: ["body", "file"], msg: message, type: "value_error" }] }, 422, headers);
      const [status, type, code] = OPENAI_ERRORS[failure];
      return jsonResponse({ error: { message, type, param: null, code } }, status, headers);
    },
    unusable: proxyPage,
  }),
];
