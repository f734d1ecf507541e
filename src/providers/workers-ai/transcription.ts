import { z } from "zod";
import type { SttResult, SttWord } from "../types";
import { parseAnswer } from "../validate";
import { PROVIDER } from "./errors";
import type { SttModel } from "./models";

/**
 * Confidence when a model gives no score (@cf/openai/whisper, or segments without avg_logprob):
 * 1, meaning "transcribed without any doubt we can measure". An empty transcript is always 0.
 */
export const UNSCORED_CONFIDENCE = 1;

// Output schemas as documented on each model's page (and typed as Ai_Cf_*_Output); times in seconds.
const TimedWord = z.object({ word: z.string(), start: z.number(), end: z.number() });
/** Word entries are all-optional in the schemas; entries missing a field are dropped. */
const LooseWord = z.object({ word: z.string().optional(), start: z.number().optional(), end: z.number().optional() });

/** https://developers.cloudflare.com/workers-ai/models/whisper-large-v3-turbo/ (Output). */
const TurboOutput = z.object({
  text: z.string(),
  segments: z
    .array(
      z.object({
        start: z.number().optional(),
        end: z.number().optional(),
        avg_logprob: z.number().nullish(),
        words: z.array(LooseWord).nullish(),
      }),
    )
    .nullish(),
});
/** https://developers.cloudflare.com/workers-ai/models/whisper/ (Output): `{text, word_count?, words?, vtt?}`. */
const WhisperOutput = z.object({ text: z.string(), words: z.array(LooseWord).nullish() });
/**
 * https://developers.cloudflare.com/workers-ai/models/nova-3/ (Output): Deepgram's `results.channels[].alternatives[]`.
 */
const NovaOutput = z.object({
  results: z.object({
    channels: z
      .array(
        z.object({
          alternatives: z
            .array(
              z.object({
                transcript: z.string(),
                confidence: z.number().optional(),
                words: z.array(LooseWord.extend({ confidence: z.number().optional() })).optional(),
              }),
            )
            .min(1),
        }),
      )
      .min(1),
  }),
});

function parse<S extends z.ZodType>(schema: S, raw: unknown, model: string): z.infer<S> {
  return parseAnswer(PROVIDER, schema, raw, model);
}

const clamp01 = (x: number) => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0);
const toMs = (seconds: number) => Math.round(seconds * 1000);

function words(list: z.infer<typeof LooseWord>[] | null | undefined, confidence: (i: number) => number): SttWord[] {
  const out: SttWord[] = [];
  (list ?? []).forEach((w, i) => {
    const timed = TimedWord.safeParse(w);
    if (timed.success)
      out.push({
        word: timed.data.word.trim(),
        startMs: toMs(timed.data.start),
        endMs: toMs(timed.data.end),
        confidence: confidence(i),
      });
  });
  return out;
}

const result = (text: string, confidence: number, list: SttWord[]): SttResult => ({
  text,
  confidence,
  source: "speech",
  ...(list.length ? { words: list } : {}),
});

/**
 * Whisper large-v3-turbo scores segments with avg_logprob; exp(avg_logprob) is the segment's
 * geometric-mean token probability. The utterance score weights segments by duration, and a
 * word takes its segment's score (none is given per word).
 */
function fromTurbo(raw: unknown, model: string): SttResult {
  const out = parse(TurboOutput, raw, model);
  const text = out.text.trim();
  const segments = out.segments ?? [];
  const scored = segments.filter((s) => typeof s.avg_logprob === "number");
  let confidence = text ? UNSCORED_CONFIDENCE : 0;
  if (text && scored.length) {
    const weight = (s: (typeof segments)[number]) => Math.max((s.end ?? 0) - (s.start ?? 0), 0.01);
    const total = scored.reduce((a, s) => a + weight(s), 0);
    confidence = clamp01(Math.exp(scored.reduce((a, s) => a + (s.avg_logprob as number) * weight(s), 0) / total));
  }
  const list = segments.flatMap((s) => {
    const segmentScore = typeof s.avg_logprob === "number" ? clamp01(Math.exp(s.avg_logprob)) : confidence;
    return words(s.words, () => segmentScore);
  });
  return result(text, confidence, list);
}

function fromWhisper(raw: unknown, model: string): SttResult {
  const out = parse(WhisperOutput, raw, model);
  const text = out.text.trim();
  const confidence = text ? UNSCORED_CONFIDENCE : 0;
  return result(
    text,
    confidence,
    words(out.words, () => confidence),
  );
}

/** Deepgram scores the transcript and each word (0..1); the first channel's best alternative is ours. */
function fromNova(raw: unknown, model: string): SttResult {
  const best = parse(NovaOutput, raw, model).results.channels[0]!.alternatives[0]!;
  const text = best.transcript.trim();
  const confidence = text ? clamp01(best.confidence ?? UNSCORED_CONFIDENCE) : 0;
  return result(
    text,
    confidence,
    words(best.words, (i) => clamp01(best.words?.[i]?.confidence ?? confidence)),
  );
}

export function toSttResult(model: SttModel, raw: unknown): SttResult {
  switch (model) {
    case "@cf/openai/whisper-large-v3-turbo":
      return fromTurbo(raw, model);
    case "@cf/openai/whisper":
      return fromWhisper(raw, model);
    case "@cf/deepgram/nova-3":
      return fromNova(raw, model);
  }
}
