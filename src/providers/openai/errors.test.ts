import { describe, expect, it } from "vitest";
import { fakeFetch, hangingFetch, jsonResponse } from "../../../test/helpers/outbound";
import { ProviderError } from "../errors";
import { OpenAiSpeechToText } from "./stt";
import { OpenAiSpeechSynthesizer } from "./tts";
import { settingsFrom, TEST_KEY } from "./test-support";

// The error body documented at https://platform.openai.com/docs/guides/error-codes.
const openAiError = (
  status: number,
  message: string,
  type: string,
  code: string | null,
  headers: Record<string, string> = {},
) => jsonResponse({ error: { message, type, param: null, code } }, status, headers);

const pcm = { kind: "pcm" as const, samples: new Int16Array(160), sampleRate: 8000, language: "en-US" };
const speech = { text: "Hello.", language: "en-US", sampleRate: 8000 };

/** Both engines share the HTTP path, so every error shape is checked against each. */
const engines = [
  [
    "STT",
    (fetcher: typeof fetch, timeoutMs = 10_000, signal?: AbortSignal) =>
      new OpenAiSpeechToText({ ...settingsFrom(), timeoutMs }, { fetcher }).transcribe(pcm, signal),
  ],
  [
    "TTS",
    (fetcher: typeof fetch, timeoutMs = 10_000, signal?: AbortSignal) =>
      new OpenAiSpeechSynthesizer({ ...settingsFrom(), timeoutMs }, { fetcher }).synthesize(speech, signal),
  ],
] as const;

async function failure(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ProviderError);
  expect((err as ProviderError).message).not.toContain(TEST_KEY);
  return err as ProviderError;
}

describe.each(engines)("OpenAI %s: errors", (_name, call) => {
  it("429 rate limit with Retry-After is retryable after that delay", async () => {
    const { fetcher } = fakeFetch(
      openAiError(429, "Rate limit reached for requests", "requests", "rate_limit_exceeded", { "Retry-After": "7" }),
    );
    const err = await failure(call(fetcher));
    expect(err).toMatchObject({ kind: "retryable", options: { status: 429, retryAfterMs: 7000 } });
    expect(err.message).toContain("rate_limit_exceeded");
  });

  it("429 insufficient_quota is not retried: reported as auth so the breaker opens", async () => {
    const { fetcher } = fakeFetch(
      openAiError(
        429,
        "You exceeded your current quota, please check your plan and billing details.",
        "insufficient_quota",
        "insufficient_quota",
      ),
    );
    const err = await failure(call(fetcher));
    expect(err).toMatchObject({ kind: "auth", options: { status: 429 } });
    expect(err.message).toContain("quota");
    expect(err.message.startsWith("openai: HTTP 429")).toBe(true);
  });

  it("400 (bad audio or bad parameter) is permanent and quotes OpenAI's message", async () => {
    const { fetcher } = fakeFetch(
      openAiError(
        400,
        "Invalid file format. Supported formats: ['flac', 'm4a', 'mp3', " +
          "'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm']",
        "invalid_request_error",
        null,
      ),
    );
    const err = await failure(call(fetcher));
    expect(err).toMatchObject({ kind: "permanent", options: { status: 400 } });
    expect(err.message).toContain("Invalid file format");
  });

  it.each([401, 403])("%i is auth and never echoes the key", async (status) => {
    const { fetcher } = fakeFetch(
      openAiError(status, `Incorrect API key provided: sk-test-***cdef.`, "invalid_request_error", "invalid_api_key"),
    );
    expect(await failure(call(fetcher))).toMatchObject({ kind: "auth", options: { status } });
  });

  it("500 is retryable", async () => {
    const { fetcher } = fakeFetch(
      openAiError(500, "The server had an error while processing your request.", "server_error", null),
    );
    expect(await failure(call(fetcher))).toMatchObject({ kind: "retryable", options: { status: 500 } });
  });

  it("no answer within the timeout is retryable", async () => {
    const err = await failure(call(hangingFetch(), 100));
    expect(err.kind).toBe("retryable");
    expect(err.message).toContain("no answer within 100 ms");
  });

  it("a client abort is permanent", async () => {
    const client = new AbortController();
    const pending = call(hangingFetch(), 10_000, client.signal);
    client.abort();
    const err = await failure(pending);
    expect(err.kind).toBe("permanent");
    expect(err.message).toContain("aborted");
  });
});
