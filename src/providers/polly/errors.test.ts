import { describe, expect, it } from "vitest";
import { hangingFetch } from "../../../test/helpers/outbound";
import { ProviderError } from "../errors";
import { PollySpeechSynthesizer } from "./tts";
import { errorResponse, pollySettings, pollyWith, SECRET_ACCESS_KEY, SESSION_TOKEN } from "./test-support";

/**
 * Polly's errors: `x-amzn-ErrorType` names the exception, the body is {"message": "..."}.
 * SynthesizeSpeech's own
 * (https://docs.aws.amazon.com/polly/latest/dg/API_SynthesizeSpeech.html#API_SynthesizeSpeech_Errors) are 400 except
 * LexiconNotFound (404) and ServiceFailure (500); the common ones
 * (https://docs.aws.amazon.com/polly/latest/dg/CommonErrors.html) include ThrottlingException (400),
 * UnrecognizedClient/InvalidSignature (403) and AccessDenied.
 */
const request = { text: "Your balance is one hundred dollars", language: "en-US", sampleRate: 16000 };

async function failure(res: Response | (() => Response), overrides: Record<string, string> = {}) {
  const { tts } = pollyWith(res, overrides);
  const err = await tts.synthesize(request).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

describe("polly errors", () => {
  it("400 TextLengthExceededException is permanent and quotes Polly's message", async () => {
    const err = await failure(
      errorResponse(
        400,
        "TextLengthExceededException:http://internal.amazon.com/coral/com.amazonaws.swiftservice.v20160610/",
        "Maximum text length has been exceeded",
      ),
    );
    expect(err).toMatchObject({ kind: "permanent", options: { status: 400 } });
    expect(err.message).toContain("TextLengthExceededException");
    expect(err.message).toContain("Maximum text length has been exceeded");
  });

  it.each([
    "InvalidSampleRateException",
    "InvalidSsmlException",
    "LanguageNotSupportedException",
    "EngineNotSupportedException",
    "ValidationException",
  ])("400 %s is permanent", async (type) => {
    expect(await failure(errorResponse(400, type, "nope"))).toMatchObject({
      kind: "permanent",
      options: { status: 400 },
    });
  });

  it.each([
    [403, "InvalidSignatureException"],
    [403, "UnrecognizedClientException"],
    [400, "ExpiredTokenException"],
    [400, "AccessDeniedException"],
  ])("%i %s is auth", async (status, type) => {
    expect(
      await failure(errorResponse(status, type, "The security token included in the request is invalid.")),
    ).toMatchObject({ kind: "auth", options: { status } });
  });

  it("a signature error never leaks the session token or secret AWS echoes in the canonical string", async () => {
    const message =
      `The request signature we calculated does not match the signature you provided.\n\nThe Canonical String ` +
      `for this request should have been\n'POST\n/v1/speech\n\nx-amz-security-token:${SESSION_TOKEN}'`;
    const err = await failure(
      errorResponse(403, "InvalidSignatureException", `${SESSION_TOKEN} ${SECRET_ACCESS_KEY} ${message}`),
      { AWS_SESSION_TOKEN: SESSION_TOKEN },
    );
    expect(err.kind).toBe("auth");
    expect(err.message).not.toContain(SESSION_TOKEN);
    expect(err.message).not.toContain(SECRET_ACCESS_KEY);
    expect(err.message).not.toContain("Canonical String");
    expect(err.cause).toBeUndefined();
  });

  it("a session token where the message is cut at 300 characters leaves no piece of it behind", async () => {
    const err = await failure(
      errorResponse(403, "InvalidSignatureException", `${"x".repeat(280)}${SESSION_TOKEN} and more`),
      { AWS_SESSION_TOKEN: SESSION_TOKEN },
    );
    expect(err.message).toContain("x".repeat(280)); // the cut falls after the token's start
    expect(err.message).not.toContain(SESSION_TOKEN.slice(0, 12));
  });

  it("429 with Retry-After is retryable and carries retryAfterMs", async () => {
    const err = await failure(errorResponse(429, "ThrottlingException", "Rate exceeded", { "Retry-After": "3" }));
    expect(err).toMatchObject({ kind: "retryable", options: { status: 429, retryAfterMs: 3000 } });
  });

  it("ThrottlingException is retryable even though AWS sends it as 400", async () => {
    const err = await failure(errorResponse(400, "ThrottlingException", "Rate exceeded"));
    expect(err).toMatchObject({ kind: "retryable", options: { status: 400 } });
    expect(err.options.retryAfterMs).toBeUndefined();
  });

  it("500 ServiceFailureException is retryable", async () => {
    const err = await failure(
      errorResponse(500, "ServiceFailureException", "An unknown condition has caused a service failure."),
    );
    expect(err).toMatchObject({ kind: "retryable", options: { status: 500 } });
  });

  it("an unnamed 503 falls back to the status (retryable) and an unnamed 404 to permanent", async () => {
    expect(await failure(new Response("<html>unavailable</html>", { status: 503 }))).toMatchObject({
      kind: "retryable",
      options: { status: 503 },
    });
    expect(await failure(new Response("", { status: 404 }))).toMatchObject({
      kind: "permanent",
      options: { status: 404 },
    });
  });

  it("a slow answer times out as retryable", async () => {
    const tts = new PollySpeechSynthesizer(pollySettings({ POLLY_TIMEOUT_MS: "100" }), { fetcher: hangingFetch() });
    const started = Date.now();
    const err = await tts.synthesize(request).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ kind: "retryable", message: "polly: no answer within 100 ms" });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("a body that stalls after the headers also times out", async () => {
    const stalled = () =>
      new Response(new ReadableStream({ start: (c) => c.enqueue(new Uint8Array([1, 2])) }), {
        headers: { "Content-Type": "audio/pcm" },
      });
    const err = await failure(stalled, { POLLY_TIMEOUT_MS: "100" });
    expect(err).toMatchObject({ kind: "retryable", message: "polly: no answer within 100 ms" });
  });

  it("a client abort mid-request is permanent (aborted)", async () => {
    const tts = new PollySpeechSynthesizer(pollySettings(), { fetcher: hangingFetch() });
    const controller = new AbortController();
    const pending = tts.synthesize(request, controller.signal).catch((e: unknown) => e);
    setTimeout(() => controller.abort(), 20);
    expect(await pending).toMatchObject({ kind: "permanent", message: "polly: request aborted by the client" });
  });

  it("an already-aborted client signal sends nothing", async () => {
    const { tts, requests } = pollyWith(errorResponse(500, "ServiceFailureException", "unused"));
    const err = await tts.synthesize(request, AbortSignal.abort()).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: "permanent", message: "polly: request aborted by the client" });
    expect(requests).toHaveLength(0);
  });

  it("a network failure is retryable", async () => {
    const fetcher = (async () => {
      throw new TypeError("Network connection lost.");
    }) as unknown as typeof fetch;
    const err = await new PollySpeechSynthesizer(pollySettings(), { fetcher })
      .synthesize(request)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ kind: "retryable" });
    expect((err as Error).message).toContain("network error calling https://polly.us-east-1.amazonaws.com");
  });
});

describe("polly refusals before calling", () => {
  it.each(["", "   \n\t"])("blank text %j is permanent and sends nothing", async (text) => {
    const { tts, requests } = pollyWith(errorResponse(500, "ServiceFailureException", "unused"));
    await expect(tts.synthesize({ ...request, text })).rejects.toMatchObject({ kind: "permanent" });
    expect(requests).toHaveLength(0);
  });

  it("text over 3,000 characters is permanent with a clear message, and sends nothing", async () => {
    const { tts, requests } = pollyWith(errorResponse(500, "ServiceFailureException", "unused"));
    const err = await tts.synthesize({ ...request, text: "a".repeat(3001) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: "permanent" });
    expect((err as Error).message).toMatch(/3001 characters.*at most 3000/);
    expect(requests).toHaveLength(0);
  });

  it("exactly 3,000 characters (counted as characters, not UTF-16 units) is sent", async () => {
    const { tts, requests } = pollyWith(errorResponse(500, "ServiceFailureException", "only the request matters"));
    await tts.synthesize({ ...request, text: "é".repeat(2000) + "👋".repeat(1000) }).catch(() => undefined);
    expect(requests).toHaveLength(1);
  });

  it("a voice that is not a Polly voice id is permanent and sends nothing", async () => {
    const { tts, requests } = pollyWith(errorResponse(500, "ServiceFailureException", "unused"));
    await expect(tts.synthesize({ ...request, voice: "../../etc" })).rejects.toMatchObject({ kind: "permanent" });
    expect(requests).toHaveLength(0);
  });
});
