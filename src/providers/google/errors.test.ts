import { describe, expect, it } from "vitest";
import { fakeFetch, hangingFetch, jsonResponse } from "../../../test/helpers/outbound";
import { ProviderError } from "../errors";
import type { GoogleSettings } from "./settings";
import { GoogleSpeechToText } from "./stt";
import { API_KEY, apiKeySettings, pcmInput, tone } from "./test-support";
import { GoogleTextToSpeech } from "./tts";

type Call = (fetcher: typeof fetch, settings?: GoogleSettings, signal?: AbortSignal) => Promise<unknown>;

const engines: [string, Call][] = [
  [
    "STT",
    (fetcher, settings = apiKeySettings(), signal) =>
      new GoogleSpeechToText(settings, { fetcher }).transcribe(pcmInput(tone(0.5, 16000), 16000), signal),
  ],
  [
    "TTS",
    (fetcher, settings = apiKeySettings(), signal) =>
      new GoogleTextToSpeech(settings, { fetcher }).synthesize(
        { text: "Hello", language: "en-US", sampleRate: 16000 },
        signal,
      ),
  ],
];

/** Google's error body (https://cloud.google.com/apis/design/errors#http_mapping). */
const googleError = (code: number, status: string, message: string, details: unknown[] = []) => ({
  error: { code, message, status, details },
});

async function failure(
  call: Call,
  response: Response | typeof fetch,
  settings?: GoogleSettings,
  signal?: AbortSignal,
): Promise<ProviderError> {
  const fetcher = response instanceof Response ? fakeFetch(response).fetcher : response;
  const err = await call(fetcher, settings, signal).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  expect((err as ProviderError).message).not.toContain(API_KEY);
  return err as ProviderError;
}

describe.each(engines)("Google %s error classification", (_name, call) => {
  it("429 RESOURCE_EXHAUSTED with Retry-After is retryable and carries the delay", async () => {
    const err = await failure(
      call,
      jsonResponse(googleError(429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Requests'"), 429, {
        "Retry-After": "7",
      }),
    );
    expect(err.kind).toBe("retryable");
    expect(err.options).toMatchObject({ status: 429, retryAfterMs: 7000 });
    expect(err.message).toMatch(/RESOURCE_EXHAUSTED/);
  });

  it("400 INVALID_ARGUMENT (bad audio or config) is permanent", async () => {
    const err = await failure(
      call,
      jsonResponse(googleError(400, "INVALID_ARGUMENT", "Invalid recognition 'config': bad encoding.."), 400),
    );
    expect(err.kind).toBe("permanent");
    expect(err.options.status).toBe(400);
  });

  it("401 UNAUTHENTICATED and 403 PERMISSION_DENIED are auth", async () => {
    expect(
      (
        await failure(
          call,
          jsonResponse(googleError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials."), 401),
        )
      ).kind,
    ).toBe("auth");
    const denied = await failure(
      call,
      jsonResponse(
        googleError(
          403,
          "PERMISSION_DENIED",
          "Cloud Speech-to-Text API has not been used in project 123 before or it is disabled.",
        ),
        403,
      ),
    );
    expect(denied.kind).toBe("auth");
    expect(denied.options.status).toBe(403);
  });

  it("400 API_KEY_INVALID is auth, and a key echoed back in the error body never reaches the message", async () => {
    const body = googleError(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", [
      {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        reason: "API_KEY_INVALID",
        domain: "googleapis.com",
        metadata: { service: "speech.googleapis.com" },
      },
      { "@type": "type.googleapis.com/google.rpc.DebugInfo", detail: `Invalid API key: ${API_KEY}` },
    ]);
    const err = await failure(call, jsonResponse(body, 400));
    expect(err.kind).toBe("auth");
    expect(err.options.status).toBe(400);
    expect(err.message).toMatch(/API key not valid/);
    expect(err.message).toContain("Invalid API key: ***");
  });

  it("500 INTERNAL and 503 UNAVAILABLE are retryable", async () => {
    expect(
      (await failure(call, jsonResponse(googleError(500, "INTERNAL", "Internal error encountered."), 500))).kind,
    ).toBe("retryable");
    expect(
      (await failure(call, jsonResponse(googleError(503, "UNAVAILABLE", "The service is currently unavailable."), 503)))
        .kind,
    ).toBe("retryable");
  });

  it("no answer within GOOGLE_TIMEOUT_MS is a retryable timeout", async () => {
    const err = await failure(call, hangingFetch(), apiKeySettings({ timeoutMs: 50 }));
    expect(err.kind).toBe("retryable");
    expect(err.message).toMatch(/no answer within 50 ms/);
  });

  it("malformed JSON on a 200 is invalid_response", async () => {
    const err = await failure(
      call,
      new Response("<html>proxy error</html>", { status: 200, headers: { "Content-Type": "text/html" } }),
    );
    expect(err.kind).toBe("invalid_response");
  });

  it("a 200 with the wrong shape is invalid_response", async () => {
    const err = await failure(call, jsonResponse({ results: "nope", audioContent: 42 }));
    expect(err.kind).toBe("invalid_response");
  });

  it("a client abort is permanent and says so", async () => {
    const controller = new AbortController();
    const pending = failure(call, hangingFetch(), apiKeySettings(), controller.signal);
    setTimeout(() => controller.abort(), 10); // mid-request, while Google has not answered

    const err = await pending;
    expect(err.kind).toBe("permanent");
    expect(err.message).toMatch(/aborted/);
  });
});
