import { describe, expect, it } from "vitest";
import { fakeFetch, jsonResponse } from "../../../test/helpers/outbound";
import { ProviderError } from "../errors";
import type { SttResult } from "../types";
import { DeepgramSpeechToText } from "./stt";
import { LISTEN_ANSWER, settings } from "./test-support";

const INPUT = { kind: "pcm" as const, samples: new Int16Array(1600), sampleRate: 16000, language: "en-US" };

async function transcribeWith(answer: Response): Promise<SttResult> {
  const { fetcher } = fakeFetch(answer);
  return new DeepgramSpeechToText(settings(), { fetcher }).transcribe(INPUT);
}

describe("deepgram stt: the answer mapped to ours", () => {
  it("takes channel 0, alternative 0: transcript, confidence, and words in ms using punctuated_word", async () => {
    expect(await transcribeWith(jsonResponse(LISTEN_ANSWER))).toEqual({
      text: "Your balance is $100.",
      confidence: 0.99902344,
      source: "speech",
      words: [
        { word: "Your", startMs: 80, endMs: 320, confidence: 0.9975586 },
        { word: "balance", startMs: 320, endMs: 800, confidence: 0.99902344 },
        { word: "is", startMs: 800, endMs: 960, confidence: 0.9980469 },
        { word: "$100.", startMs: 960, endMs: 2160, confidence: 0.9736328 },
      ],
    });
  });

  it("falls back to the plain word when punctuated_word is absent", async () => {
    const answer = {
      results: {
        channels: [
          {
            alternatives: [
              { transcript: "yes", confidence: 0.8, words: [{ word: "yes", start: 0.1, end: 0.4, confidence: 0.8 }] },
            ],
          },
        ],
      },
    };
    expect((await transcribeWith(jsonResponse(answer))).words).toEqual([
      { word: "yes", startMs: 100, endMs: 400, confidence: 0.8 },
    ]);
  });

  it("answers silence (empty transcript, no words) with empty text and no words array", async () => {
    const answer = {
      metadata: {},
      results: { channels: [{ alternatives: [{ transcript: "", confidence: 0, words: [] }] }] },
    };
    expect(await transcribeWith(jsonResponse(answer))).toEqual({ text: "", confidence: 0, source: "speech" });
  });

  it.each([
    ["no results", { metadata: {} }],
    ["no channels", { results: { channels: [] } }],
    ["no alternatives", { results: { channels: [{ alternatives: [] }] } }],
    [
      "a transcript that is not a string",
      { results: { channels: [{ alternatives: [{ transcript: 5, confidence: 0.5 }] }] } },
    ],
    [
      "a word without timings",
      {
        results: {
          channels: [{ alternatives: [{ transcript: "a", confidence: 0.5, words: [{ word: "a", confidence: 0.5 }] }] }],
        },
      },
    ],
  ])("treats %s as invalid_response", async (_what, body) => {
    const err = await transcribeWith(jsonResponse(body)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).kind).toBe("invalid_response");
  });

  it("treats malformed JSON on 200 as invalid_response", async () => {
    const err = await transcribeWith(
      new Response('{"results": {', { status: 200, headers: { "Content-Type": "application/json" } }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).kind).toBe("invalid_response");
  });
});
