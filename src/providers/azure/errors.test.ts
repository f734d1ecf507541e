import { describe, expect, it } from "vitest";
import { fakeFetch, hangingFetch } from "../../../test/helpers/outbound";
import { ProviderError } from "../errors";
import { AzureSpeechToText } from "./stt";
import { AzureTextToSpeech } from "./tts";
import { KEY, settings } from "./test-support";

// Azure answers errors with the status and an empty body (REST references, "HTTP status codes").
const empty = (status: number, headers: Record<string, string> = {}) => new Response(null, { status, headers });

const engines = {
  stt: (fetcher: typeof fetch, timeoutMs = 5000, signal?: AbortSignal) =>
    new AzureSpeechToText(settings({ timeoutMs }), { fetcher }).transcribe(
      { kind: "pcm", samples: new Int16Array(1600), sampleRate: 16000, language: "en-US" },
      signal,
    ),
  tts: (fetcher: typeof fetch, timeoutMs = 5000, signal?: AbortSignal) =>
    new AzureTextToSpeech(settings({ timeoutMs }), { fetcher }).synthesize(
      { text: "Hello", language: "en-US", sampleRate: 16000 },
      signal,
    ),
};

async function failure(run: Promise<unknown>): Promise<ProviderError> {
  const err = await run.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ProviderError);
  expect((err as ProviderError).message).not.toContain(KEY);
  return err as ProviderError;
}

describe.each(Object.entries(engines))("azure %s: HTTP errors, timeouts and aborts", (_kind, run) => {
  it("429 with Retry-After is retryable with retryAfterMs, quoting Azure's documented reason", async () => {
    const err = await failure(run(fakeFetch(empty(429, { "Retry-After": "7" })).fetcher));
    expect(err.kind).toBe("retryable");
    expect(err.options).toMatchObject({ status: 429, retryAfterMs: 7000 });
    expect(err.message).toMatch(
      /HTTP 429 from https:\/\/westeurope\.(stt|tts)\.speech\.microsoft\.com\/.*quota or request rate/,
    );
  });

  it("400 (bad audio, language or SSML) is permanent", async () => {
    const err = await failure(run(fakeFetch(empty(400)).fetcher));
    expect(err.kind).toBe("permanent");
    expect(err.options.status).toBe(400);
    expect(err.message).toMatch(/per Azure: language missing or unsupported, invalid audio/);
  });

  it.each([401, 403])("%i is an auth failure that names the settings to check", async (status) => {
    const err = await failure(run(fakeFetch(empty(status)).fetcher));
    expect(err.kind).toBe("auth");
    expect(err.options.status).toBe(status);
    if (status === 401) expect(err.message).toMatch(/AZURE_SPEECH_KEY and AZURE_SPEECH_REGION/);
  });

  it("500 is retryable, and a non-empty error body is quoted as Azure sent it", async () => {
    const err = await failure(run(fakeFetch(new Response("upstream exploded", { status: 500 })).fetcher));
    expect(err.kind).toBe("retryable");
    expect(err.message).toMatch(/HTTP 500 .*: upstream exploded$/);
  });

  it("no answer within the timeout is a retryable timeout", async () => {
    const err = await failure(run(hangingFetch(), 100));
    expect(err.kind).toBe("retryable");
    expect(err.message).toMatch(/no answer within 100 ms/);
  });

  it("a client abort is permanent (aborted), not retried", async () => {
    const controller = new AbortController();
    const pending = run(hangingFetch(), 5000, controller.signal);
    controller.abort();
    const err = await failure(pending);
    expect(err.kind).toBe("permanent");
    expect(err.message).toMatch(/aborted by the client/);
  });
});
