/**
 * Azure's short-audio recognition answer (format=detailed) and its mapping to our SttResult.
 * Shape and statuses:
 * https://learn.microsoft.com/azure/ai-services/speech-service/rest-speech-to-text-short#response-properties
 */
import { z } from "zod";
import { ProviderError } from "../errors";
import type { SttResult, SttWord } from "../types";
import { AZURE_PROVIDER } from "./settings";

/** Offset/Duration are 100-ns ticks; the docs' examples show them both as numbers and as digit strings. */
const ticks = z.union([z.number().nonnegative(), z.string().regex(/^\d+$/).transform(Number)]);

const confidence = z.number().min(0).max(1);

const wordSchema = z.object({
  Word: z.string(),
  Offset: ticks,
  Duration: ticks,
  Confidence: confidence.optional(),
});

const nBestSchema = z.object({
  Confidence: confidence.optional(),
  Lexical: z.string().optional(),
  ITN: z.string().optional(),
  MaskedITN: z.string().optional(),
  /** "The display form of the recognized text, with punctuation and capitalization added." */
  Display: z.string(),
  Words: z.array(wordSchema).optional(),
});

export const azureRecognitionSchema = z.object({
  RecognitionStatus: z.enum(["Success", "NoMatch", "InitialSilenceTimeout", "BabbleTimeout", "Error"]),
  DisplayText: z.string().optional(),
  Offset: ticks.optional(),
  Duration: ticks.optional(),
  NBest: z.array(nBestSchema).optional(),
});

export type AzureRecognition = z.output<typeof azureRecognitionSchema>;

/**
 * Confidence reported when Azure gives none (only the `simple` format omits it, which we never
 * request): 0.5 means "unknown", neither trusted nor dismissed.
 */
export const AZURE_DEFAULT_CONFIDENCE = 0.5;

const TICKS_PER_MS = 10_000;

export function mapAzureRecognition(answer: AzureRecognition): SttResult {
  switch (answer.RecognitionStatus) {
    case "NoMatch": // speech, but no words of the target language
    case "InitialSilenceTimeout": // only silence
    case "BabbleTimeout": // only noise
      return { text: "", confidence: 0, source: "speech" };
    case "Error":
      // "The recognition service encountered an internal error and couldn't continue. Try again if possible."
      throw new ProviderError(
        AZURE_PROVIDER,
        "retryable",
        "recognition status Error (Azure's internal error; try again)",
      );
    case "Success":
      break;
  }
  // NBest is the service's ranked list; the first entry is the one DisplayText reports.
  const best = answer.NBest?.[0];
  if (!best) {
    if (answer.DisplayText === undefined) {
      throw new ProviderError(
        AZURE_PROVIDER,
        "invalid_response",
        "recognition status Success without NBest or DisplayText",
      );
    }
    return { text: answer.DisplayText, confidence: AZURE_DEFAULT_CONFIDENCE, source: "speech" };
  }
  const conf = best.Confidence ?? AZURE_DEFAULT_CONFIDENCE;
  const words = best.Words?.map((w): SttWord => ({
    word: w.Word,
    startMs: Math.round(w.Offset / TICKS_PER_MS),
    endMs: Math.round((w.Offset + w.Duration) / TICKS_PER_MS),
    confidence: w.Confidence ?? conf,
  }));
  return { text: best.Display, confidence: conf, source: "speech", ...(words?.length ? { words } : {}) };
}
