import { describe, expect, it } from "vitest";
import { fakeFetch, jsonResponse } from "../../../test/helpers/outbound";
import { GoogleSpeechToText } from "./stt";
import { DEFAULT_CONFIDENCE, durationMs } from "./stt-response";
import { apiKeySettings, pcmInput, tone } from "./test-support";

async function answer(body: unknown) {
  const outbound = fakeFetch(jsonResponse(body));
  return new GoogleSpeechToText(apiKeySettings(), { fetcher: outbound.fetcher }).transcribe(
    pcmInput(tone(1, 16000), 16000),
  );
}

describe("Google STT response mapping", () => {
  it("maps the documented sync-recognize example: transcript and confidence of the top alternative", async () => {
    // https://cloud.google.com/speech-to-text/docs/sync-recognize (response example)
    const result = await answer({
      results: [{ alternatives: [{ transcript: "how old is the Brooklyn Bridge", confidence: 0.98267895 }] }],
      totalBilledTime: "15s",
      requestId: "8813128164937485521",
    });
    expect(result).toEqual({ text: "how old is the Brooklyn Bridge", confidence: 0.98267895, source: "speech" });
  });

  it("maps word time offsets ('1.300s' durations) and word confidences", async () => {
    // https://cloud.google.com/speech-to-text/docs/async-time-offsets (words with startTime/endTime strings)
    const result = await answer({
      results: [
        {
          alternatives: [
            {
              transcript: "Four score and",
              confidence: 0.97,
              words: [
                { startTime: "1.300s", endTime: "1.400s", word: "Four", confidence: 0.96 },
                { startTime: "1.400s", endTime: "1.600s", word: "score", confidence: 0.99 },
                { startTime: "1.600s", endTime: "1.900s", word: "and" },
              ],
            },
          ],
          resultEndTime: "2.100s",
          languageCode: "en-us",
        },
      ],
    });
    expect(result.text).toBe("Four score and");
    expect(result.confidence).toBe(0.97);
    expect(result.words).toEqual([
      { word: "Four", startMs: 1300, endMs: 1400, confidence: 0.96 },
      { word: "score", startMs: 1400, endMs: 1600, confidence: 0.99 },
      // No word confidence: its alternative's stands in.
      { word: "and", startMs: 1600, endMs: 1900, confidence: 0.97 },
    ]);
  });

  it(
    "joins every result's top alternative without a " + "separator, as Google documents (leading spaces included)",
    async () => {
      const result = await answer({
        results: [
          {
            alternatives: [
              { transcript: "I want to check", confidence: 0.9 },
              { transcript: "eye want", confidence: 0.2 },
            ],
          },
          {
            alternatives: [
              {
                transcript: " my balance please",
                confidence: 0.8,
                words: [{ startTime: "3s", endTime: "3.5s", word: "my", confidence: 0.7 }],
              },
            ],
          },
        ],
      });
      expect(result.text).toBe("I want to check my balance please");
      expect(result.confidence).toBeCloseTo(0.85, 10);
      expect(result.words).toEqual([{ word: "my", startMs: 3000, endMs: 3500, confidence: 0.7 }]);
    },
  );

  it("treats an empty {} answer as no speech: empty text, confidence 0, no words", async () => {
    expect(await answer({})).toEqual({ text: "", confidence: 0, source: "speech" });
    expect(await answer({ results: [] })).toEqual({ text: "", confidence: 0, source: "speech" });
    expect(await answer({ results: [{ alternatives: [] }], totalBilledTime: "1s" })).toEqual({
      text: "",
      confidence: 0,
      source: "speech",
    });
  });

  it("uses a documented default when Google sends no confidence (0 is its 'not set' sentinel)", async () => {
    expect(DEFAULT_CONFIDENCE).toBe(0.8);
    const unscored = await answer({ results: [{ alternatives: [{ transcript: "yes" }] }] });
    expect(unscored.confidence).toBe(DEFAULT_CONFIDENCE);
    const sentinel = await answer({ results: [{ alternatives: [{ transcript: "no", confidence: 0 }] }] });
    expect(sentinel.confidence).toBe(DEFAULT_CONFIDENCE);
    // With no alternative confidence, word confidences are averaged.
    const byWords = await answer({
      results: [
        {
          alternatives: [
            {
              transcript: "yes please",
              words: [
                { word: "yes", confidence: 0.6 },
                { word: "please", confidence: 0.8 },
              ],
            },
          ],
        },
      ],
    });
    expect(byWords.confidence).toBeCloseTo(0.7, 10);
    expect(byWords.words?.map((w) => [w.startMs, w.endMs])).toEqual([
      [0, 0],
      [0, 0],
    ]);
  });

  it("parses protobuf Duration strings", () => {
    expect(durationMs("1.300s")).toBe(1300);
    expect(durationMs("3s")).toBe(3000);
    expect(durationMs("0.000000001s")).toBe(0);
    expect(durationMs("12.345678s")).toBe(12346);
    expect(durationMs(undefined)).toBe(0);
  });
});
