/**
 * Deepgram's pre-recorded answer and its mapping to our SttResult: the first alternative of the
 * first channel. Shape: https://developers.deepgram.com/reference/speech-to-text/listen-pre-recorded
 * (results.channels[].alternatives[].{transcript, confidence, words[].{word, start, end,
 * confidence, punctuated_word}}; times in seconds).
 */
import { z } from "zod";
import type { SttResult, SttWord } from "../types";

const confidence = z.number().min(0).max(1);

const wordSchema = z.object({
  word: z.string(),
  start: z.number().nonnegative(),
  end: z.number().nonnegative(),
  confidence,
  /** Present with smart_format/punctuate: the word as it appears in the transcript. */
  punctuated_word: z.string().optional(),
});

export const deepgramListenSchema = z.object({
  results: z.object({
    channels: z
      .array(
        z.object({
          alternatives: z
            .array(z.object({ transcript: z.string(), confidence, words: z.array(wordSchema).optional() }))
            .min(1),
        }),
      )
      .min(1),
  }),
});

export type DeepgramListen = z.output<typeof deepgramListenSchema>;

export function mapDeepgramListen(answer: DeepgramListen): SttResult {
  const best = answer.results.channels[0]!.alternatives[0]!; // both arrays are checked non-empty
  const words = best.words?.map((w): SttWord => ({
    word: w.punctuated_word ?? w.word,
    startMs: Math.round(w.start * 1000),
    endMs: Math.round(w.end * 1000),
    confidence: w.confidence,
  }));
  return { text: best.transcript, confidence: best.confidence, source: "speech", ...(words?.length ? { words } : {}) };
}
