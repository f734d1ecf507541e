import { z } from "zod";
import { parseAnswer } from "../validate";
import type { SttResult, SttWord } from "../types";
import { PROVIDER } from "./errors";

/**
 * The transcription answers we ask for (https://platform.openai.com/docs/api-reference/audio/json-object
 * and .../verbose-json-object): `json` is `{text, logprobs?, usage?}`; `verbose_json` (whisper-1)
 * adds `language`, `duration`, `words[{word,start,end}]` and `segments[{start,end,text,avg_logprob,
 * no_speech_prob,...}]`, times in seconds. Self-hosted servers send `null` for absent lists, hence
 * `nullish`.
 */
const Word = z.object({ word: z.string(), start: z.number(), end: z.number() });
const Segment = z.object({ start: z.number(), end: z.number(), avg_logprob: z.number().nullish() });
const Logprob = z.object({ logprob: z.number() });

export const TranscriptionSchema = z.object({
  text: z.string(),
  logprobs: z.array(Logprob).nullish(),
  words: z.array(Word).nullish(),
  segments: z.array(Segment).nullish(),
});

/**
 * Confidence when the answer carries no score (gpt-4o models without logprobs, whisper servers
 * without segments): 1, meaning "the provider returned this transcript without any doubt we can
 * measure". An empty transcript is always 0.
 */
export const UNSCORED_CONFIDENCE = 1;

/**
 * OpenAI gives no confidence field. It does give log probabilities: per token for the gpt-4o
 * transcribe models (with `include[]=logprobs`) and per segment (`avg_logprob`) for whisper-1's
 * verbose_json. exp(mean log probability) is the geometric-mean token probability, a 0..1 score;
 * segments are weighted by their duration.
 */
export function confidenceOf(body: z.infer<typeof TranscriptionSchema>, text: string): number {
  if (!text) return 0;
  if (body.logprobs?.length) return clamp01(Math.exp(mean(body.logprobs.map((l) => l.logprob))));
  const scored = (body.segments ?? []).filter((s) => typeof s.avg_logprob === "number");
  if (scored.length) {
    const weights = scored.map((s) => Math.max(s.end - s.start, 0.01));
    const total = weights.reduce((a, w) => a + w, 0);
    const weighted = scored.reduce((a, s, i) => a + (s.avg_logprob as number) * weights[i]!, 0) / total;
    return clamp01(Math.exp(weighted));
  }
  return UNSCORED_CONFIDENCE;
}

/** Validates the 2xx answer and maps it to ours; words carry the utterance confidence (none is given per word). */
export function toSttResult(raw: unknown): SttResult {
  const answer = parseAnswer(PROVIDER, TranscriptionSchema, raw);
  const text = answer.text.trim();
  const confidence = confidenceOf(answer, text);
  const words: SttWord[] | undefined = answer.words?.map((w) => ({
    word: w.word.trim(),
    startMs: Math.round(w.start * 1000),
    endMs: Math.round(w.end * 1000),
    confidence,
  }));
  return { text, confidence, source: "speech", ...(words?.length ? { words } : {}) };
}

const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
const clamp01 = (x: number) => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0);
