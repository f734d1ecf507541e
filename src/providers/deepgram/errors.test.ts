import { describe, expect, it } from "vitest";
import { fakeFetch, hangingFetch, jsonResponse } from "../../../test/helpers/outbound";
import { ProviderError } from "../errors";
import { describeDeepgramError } from "./errors";
import { DeepgramSpeechToText } from "./stt";
import { DeepgramTextToSpeech } from "./tts";
import { KEY, settings } from "./test-support";

const engines = {
  stt: (fetcher: typeof fetch, timeoutMs = 5000, signal?: AbortSignal) =>
    new DeepgramSpeechToText(settings({ timeoutMs }), { fetcher }).transcribe(
      { kind: "pcm", samples: new Int16Array(1600), sampleRate: 16000, language: "en-US" },
      signal,
    ),
  tts: (fetcher: typeof fetch, timeoutMs = 5000, signal?: AbortSignal) =>
    new DeepgramTextToSpeech(settings({ timeoutMs }), { fetcher }).synthesize(
      { text: "Hello", language: "en-US", sampleRate: 16000 },
      signal,
    ),
};

// The documented error body (https://developers.deepgram.com/reference/errors).
const dgError = (status: number, err_code: string, err_msg: string, headers: Record<string, string> = {}) =>
  jsonResponse({ err_code, err_msg, request_id: "b4ef0a8c-7d2e-4f7b-9d39-2c1a7f1f2e11" }, status, headers);

async function failure(run: Promise<unknown>): Promise<ProviderError> {
  const err = await run.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ProviderError);
  expect((err as ProviderError).message).not.toContain(KEY);
  return err as ProviderError;
}

describe("deepgram error bodies", () => {
  it("reads both documented shapes into one line, and leaves anything else as it is", () => {
    expect(
      describeDeepgramError(
        JSON.stringify({
          err_code: "Bad Request",
          err_msg: "Bad Request: failed to process audio: corrupt or unsupported data",
          request_id: "uuid",
        }),
      ),
    ).toBe("Bad Request: failed to process audio: corrupt or unsupported data (err_code Bad Request, request_id uuid)");
    expect(
      describeDeepgramError(
        JSON.stringify({
          category: "INVALID_JSON",
          message: "Invalid JSON submitted.",
          details: "Json deserialize error: missing field `text`",
          request_id: "uuid",
        }),
      ),
    ).toBe(
      "Invalid JSON submitted. Json deserialize error: missing field `text` (err_code INVALID_JSON, request_id uuid)",
    );
    expect(describeDeepgramError("<html>bad gateway</html>")).toBe("<html>bad gateway</html>");
    expect(describeDeepgramError("")).toBe("");
  });
});

describe.each(Object.entries(engines))("deepgram %s: HTTP errors, timeouts and aborts", (_kind, run) => {
  it("429 with Retry-After is retryable with retryAfterMs and quotes err_msg", async () => {
    const err = await failure(
      run(
        fakeFetch(
          dgError(429, "TOO_MANY_REQUESTS", "Too many requests. Please try again later", { "Retry-After": "3" }),
        ).fetcher,
      ),
    );
    expect(err.kind).toBe("retryable");
    expect(err.options).toMatchObject({ status: 429, retryAfterMs: 3000 });
    expect(err.message).toMatch(
      /HTTP 429 from https:\/\/api\.deepgram\.com\/v1\/(listen|speak)\?.*: Too many requests\. Please try again later \(err_code TOO_MANY_REQUESTS, request_id b4ef0a8c/,
    );
  });

  it("400 (bad audio or request) is permanent and quotes err_msg", async () => {
    const err = await failure(
      run(
        fakeFetch(dgError(400, "Bad Request", "Bad Request: failed to process audio: corrupt or unsupported data"))
          .fetcher,
      ),
    );
    expect(err.kind).toBe("permanent");
    expect(err.options.status).toBe(400);
    expect(err.message).toMatch(
      /: Bad Request: failed to process audio: corrupt or unsupported data \(err_code Bad Request/,
    );
  });

  it.each([
    [401, "INVALID_AUTH", "Invalid credentials."],
    [403, "INSUFFICIENT_PERMISSIONS", "Project does not have access to the requested model."],
  ])("%i is an auth failure", async (status, code, msg) => {
    const err = await failure(run(fakeFetch(dgError(status, code, msg)).fetcher));
    expect(err.kind).toBe("auth");
    expect(err.options.status).toBe(status);
    expect(err.message).toContain(msg);
  });

  it("500 is retryable", async () => {
    const err = await failure(run(fakeFetch(dgError(500, "INTERNAL_SERVER_ERROR", "Internal server error")).fetcher));
    expect(err.kind).toBe("retryable");
    expect(err.options.status).toBe(500);
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
