import { describe, expect, it } from "vitest";
import { fakeFetch, jsonResponse } from "../../../test/helpers/outbound";
import { ProviderError } from "../errors";
import type { SttResult } from "../types";
import { AzureSpeechToText } from "./stt";
import { AZURE_DEFAULT_CONFIDENCE } from "./stt-response";
import { settings } from "./test-support";

const INPUT = { kind: "pcm" as const, samples: new Int16Array(1600), sampleRate: 16000, language: "en-US" };

async function transcribeWith(answer: Response): Promise<SttResult> {
  const { fetcher } = fakeFetch(answer);
  return new AzureSpeechToText(settings(), { fetcher }).transcribe(INPUT);
}

async function failureOf(answer: Response): Promise<ProviderError> {
  const err = await transcribeWith(answer).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

describe("azure stt: the answer mapped to ours", () => {
  it("maps the documented detailed answer: Display text and Confidence of the first NBest entry", async () => {
    // rest-speech-to-text-short#sample-responses, "a typical response for detailed recognition"
    const result = await transcribeWith(
      jsonResponse({
        RecognitionStatus: "Success",
        Offset: "1236645672289",
        Duration: "1236645672289",
        NBest: [
          {
            Confidence: 0.9052885,
            Display: "What's the weather like?",
            ITN: "what's the weather like",
            Lexical: "what's the weather like",
            MaskedITN: "what's the weather like",
          },
          {
            Confidence: 0.92459863,
            Display: "what is the weather like",
            ITN: "what is the weather like",
            Lexical: "what is the weather like",
            MaskedITN: "what is the weather like",
          },
        ],
      }),
    );
    expect(result).toEqual({ text: "What's the weather like?", confidence: 0.9052885, source: "speech" });
  });

  it("maps NBest Words (100-ns ticks) to millisecond word timings", async () => {
    // Word entries as in the documented pronunciation-assessment example (numeric ticks).
    const result = await transcribeWith(
      jsonResponse({
        RecognitionStatus: "Success",
        Offset: 700000,
        Duration: 8400000,
        DisplayText: "Good morning.",
        NBest: [
          {
            Confidence: 0.98503506,
            Lexical: "good morning",
            ITN: "good morning",
            MaskedITN: "good morning",
            Display: "Good morning.",
            Words: [
              { Word: "good", Offset: 700000, Duration: 2600000, Confidence: 0.91 },
              { Word: "morning", Offset: "3400000", Duration: "5700000" },
            ],
          },
        ],
      }),
    );
    expect(result).toEqual({
      text: "Good morning.",
      confidence: 0.98503506,
      source: "speech",
      words: [
        { word: "good", startMs: 70, endMs: 330, confidence: 0.91 },
        { word: "morning", startMs: 340, endMs: 910, confidence: 0.98503506 },
      ],
    });
  });

  it("falls back to DisplayText with the documented default confidence when NBest is absent", async () => {
    const result = await transcribeWith(
      jsonResponse({
        RecognitionStatus: "Success",
        DisplayText: "Remind me to buy 5 pencils.",
        Offset: "1236645672289",
        Duration: "1236645672289",
      }),
    );
    expect(result).toEqual({
      text: "Remind me to buy 5 pencils.",
      confidence: AZURE_DEFAULT_CONFIDENCE,
      source: "speech",
    });
  });

  it.each(["NoMatch", "InitialSilenceTimeout", "BabbleTimeout"])("answers %s with empty text", async (status) => {
    expect(await transcribeWith(jsonResponse({ RecognitionStatus: status, Offset: 50000000, Duration: 0 }))).toEqual({
      text: "",
      confidence: 0,
      source: "speech",
    });
  });

  it("turns RecognitionStatus Error into a retryable ProviderError", async () => {
    const err = await failureOf(jsonResponse({ RecognitionStatus: "Error" }));
    expect(err.kind).toBe("retryable");
    expect(err.message).toMatch(/^azure: recognition status Error/);
  });

  it.each([
    ["an unknown status", { RecognitionStatus: "Dictating" }],
    ["Success without any text", { RecognitionStatus: "Success" }],
    ["NBest without Display", { RecognitionStatus: "Success", NBest: [{ Confidence: 0.5 }] }],
    ["a confidence outside 0..1", { RecognitionStatus: "Success", NBest: [{ Confidence: 7, Display: "x" }] }],
    ["an array", [1, 2]],
  ])("treats %s as invalid_response", async (_what, body) => {
    expect((await failureOf(jsonResponse(body))).kind).toBe("invalid_response");
  });

  it("treats malformed JSON on 200 as invalid_response", async () => {
    const err = await failureOf(
      new Response('{"RecognitionStatus": "Succ', { status: 200, headers: { "Content-Type": "application/json" } }),
    );
    expect(err.kind).toBe("invalid_response");
  });
});
