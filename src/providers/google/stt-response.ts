/**
 * RecognizeResponse → SttResult.
 * https://cloud.google.com/speech-to-text/docs/reference/rest/v1/speech/recognize#response-body:
 * {"results": [{"alternatives": [{"transcript", "confidence", "words": [{"startTime": "1.300s",
 * "endTime", "word", "confidence"}]}], "resultEndTime", "languageCode"}], "totalBilledTime", "requestId"}.
 * An empty object means no speech was recognised.
 */
import { z } from "zod";
import type { SttResult, SttWord } from "../types";

/**
 * Used when Google gives no confidence. It documents 0.0 as "a sentinel value indicating confidence was
 * not set", and the latest_* models return a value that "is not truly a confidence score"; a result that
 * Google did return is a fair hit, so it is reported as likely-but-unscored rather than as 0 or 1.
 */
export const DEFAULT_CONFIDENCE = 0.8;

/** google.protobuf.Duration in JSON: seconds with up to 9 fractional digits and an "s" suffix, e.g. "1.300s". */
const duration = z.string().regex(/^-?\d+(?:\.\d{1,9})?s$/);
const confidence = z.number().min(0).max(1);

const wordInfo = z.object({
  startTime: duration.optional(),
  endTime: duration.optional(),
  word: z.string(),
  confidence: confidence.optional(),
});

const alternative = z.object({
  transcript: z.string().optional(),
  confidence: confidence.optional(),
  words: z.array(wordInfo).optional(),
});

export const recognizeResponse = z.object({
  results: z
    .array(z.object({ alternatives: z.array(alternative).optional(), languageCode: z.string().optional() }))
    .optional(),
  totalBilledTime: duration.optional(),
  requestId: z.string().optional(),
});

export type RecognizeResponse = z.infer<typeof recognizeResponse>;

export function durationMs(value: string | undefined): number {
  if (!value) return 0;
  return Math.round(Number(value.slice(0, -1)) * 1000);
}

export function mapRecognizeResponse(response: RecognizeResponse): SttResult {
  // Each result covers a consecutive stretch of audio; its first alternative is the most likely one.
  const best = (response.results ?? []).flatMap((r) => (r.alternatives?.[0] ? [r.alternatives[0]] : []));
  // "You can concatenate each result to obtain the full transcript without using a separator": Google puts
  // the leading space in where the language needs one.
  const text = best
    .map((a) => a.transcript ?? "")
    .join("")
    .replace(/\s+/g, " ")
    .trim();
  if (!text) return { text: "", confidence: 0, source: "speech" };

  const scored = best.map((a) => a.confidence ?? 0).filter((c) => c > 0);
  const wordScores = best.flatMap((a) => (a.words ?? []).map((w) => w.confidence ?? 0)).filter((c) => c > 0);
  const overall = mean(scored) ?? mean(wordScores) ?? DEFAULT_CONFIDENCE;

  const words: SttWord[] = best.flatMap((a) =>
    (a.words ?? []).map((w) => ({
      word: w.word,
      // WordInfo offsets are "relative to the beginning of the audio", across results.
      startMs: durationMs(w.startTime),
      endMs: durationMs(w.endTime),
      confidence: w.confidence || a.confidence || overall,
    })),
  );
  return { text, confidence: overall, source: "speech", ...(words.length ? { words } : {}) };
}

function mean(values: number[]): number | undefined {
  return values.length ? values.reduce((s, v) => s + v, 0) / values.length : undefined;
}
