import { describe, expect, it } from "vitest";
import { ProviderError } from "../errors";
import type { AiRunner } from "./settings";
import { WorkersAiSpeechToText } from "./stt";
import { WorkersAiSpeechSynthesizer } from "./tts";
import { failingAi, fakeAi, hangingAi, settingsWith } from "./test-support";

const pcm = { kind: "pcm" as const, samples: new Int16Array(160), sampleRate: 8000, language: "en-US" };
const speech = { text: "Hello.", language: "en-US", sampleRate: 8000 };

/** Both engines go through the same runner, so every failure is checked against each. */
const engines = [
  [
    "STT",
    (ai: AiRunner, timeoutMs = 10_000, signal?: AbortSignal) =>
      new WorkersAiSpeechToText({ ...settingsWith(ai), timeoutMs }).transcribe(pcm, signal),
  ],
  [
    "TTS",
    (ai: AiRunner, timeoutMs = 10_000, signal?: AbortSignal) =>
      new WorkersAiSpeechSynthesizer({ ...settingsWith(ai), timeoutMs }).synthesize(speech, signal),
  ],
] as const;

async function failure(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ProviderError);
  expect((err as ProviderError).provider).toBe("workers-ai");
  return err as ProviderError;
}

// Messages as the binding throws them; codes from https://developers.cloudflare.com/workers-ai/platform/errors/.
const BINDING_ERRORS: [string, Error, ProviderError["kind"], number | undefined][] = [
  ["3040 out of capacity", new Error("3040: Capacity temporarily exceeded, please try again."), "retryable", 429],
  ["3007 timeout", new Error("3007: Request timeout"), "retryable", 408],
  [
    "5006 input validation",
    new Error("AiError: 5006: Error: required properties at '/' are 'audio'"),
    "permanent",
    400,
  ],
  ["5004 invalid base64", new Error("5004: Invalid data type for base64 input: object"), "permanent", 400],
  ["3006 request too large", new Error("3006: Request is too large"), "permanent", 413],
  ["5007 no such model", new Error("5007: No such model @cf/openai/whisper-x or task"), "permanent", 400],
  ["a schema complaint without a code", new Error("AiError: Bad input: Error: oneOf at '/' not met"), "permanent", 400],
  [
    "3036 daily allocation used up",
    new Error("3036: You have used up your daily free allocation of 10,000 neurons."),
    "auth",
    429,
  ],
  ["5016 model agreement", new Error("5016: User has not agreed to Llama3.2 model terms"), "auth", 403],
  ["3023 account blocked", new Error("3023: Service unavailable for account"), "auth", 403],
  [
    "an upstream failure without a code",
    Object.assign(new Error("upstream connect error"), { name: "InferenceUpstreamError" }),
    "retryable",
    undefined,
  ],
  ["an internal error", new Error("AiInternalError: something broke"), "retryable", undefined],
];

describe.each(engines)("Workers AI %s: binding errors", (_engine, call) => {
  it.each(BINDING_ERRORS)("%s is classified", async (_label, error, kind, status) => {
    const err = await failure(call(failingAi(error)));
    expect(err.kind).toBe(kind);
    expect(err.options.status).toBe(status);
    expect(err.message).toContain(error.message);
    if (error.name !== "Error") expect(err.message).toContain(`${error.name}: ${error.message}`);
    expect(err.cause).toBe(error);
  });

  it("no answer within the timeout is retryable, even if the binding ignores its signal", async () => {
    const started = Date.now();
    const err = await failure(call(hangingAi, 100));
    expect(err.kind).toBe("retryable");
    expect(err.message).toContain("within 100 ms");
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("a client abort is permanent and aborts the signal handed to the binding", async () => {
    const seen: AbortSignal[] = [];
    const ai: AiRunner = {
      run: (_model, _inputs, options) =>
        new Promise((_resolve, reject) => {
          seen.push(options!.signal!);
          options!.signal!.addEventListener("abort", () => reject(new Error("3008: Request was aborted")));
        }),
    };
    const client = new AbortController();
    const pending = call(ai, 10_000, client.signal);
    await Promise.resolve();
    client.abort();
    const err = await failure(pending);
    expect(err.kind).toBe("permanent");
    expect(err.message).toContain("aborted by the client");
    expect(seen[0]!.aborted).toBe(true);
  });

  it("an already-aborted request does not run the model", async () => {
    const { ai, runs } = fakeAi(() => new Promise(() => {}));
    const err = await failure(call(ai, 10_000, AbortSignal.abort()));
    expect(err.kind).toBe("permanent");
    expect(runs).toHaveLength(0);
  });
});

describe("Workers AI TTS: a failed raw Response", () => {
  it("is classified by its status", async () => {
    const { ai } = fakeAi(
      () =>
        new Response(JSON.stringify({ errors: [{ code: 3040, message: "Capacity temporarily exceeded" }] }), {
          status: 429,
        }),
    );
    const err = await failure(new WorkersAiSpeechSynthesizer(settingsWith(ai)).synthesize(speech));
    expect(err).toMatchObject({ kind: "retryable", options: { status: 429 } });
    expect(err.message).toContain("Capacity");
  });
});
