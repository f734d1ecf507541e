import type { BargeInSettings } from "../../stream/protocol";

/**
 * What counts as a real interruption when a streaming recogniser tells us the words: a caller who
 * says "uh-huh" or "okay" while the reply plays is listening, not taking the turn, and a cough has
 * no words at all. Only used while a reply may be playing (barge-in) and to drop such a turn then.
 */

export const BARGE_IN_DEFAULTS: BargeInSettings = { minWords: 2, minSpeechMs: 600 };

/** Sounds of listening, as recognisers spell them (lower case, without punctuation). */
const BACKCHANNEL_WORDS = new Set([
  "uh-huh",
  "uhhuh",
  "uh",
  "huh",
  "um",
  "umm",
  "hmm",
  "hm",
  "mm",
  "mhm",
  "mm-hmm",
  "mmhmm",
  "ah",
  "oh",
  "okay",
  "ok",
  "yeah",
  "yep",
  "yes",
  "right",
  "sure",
  "alright",
]);
/** Two-word backchannels: removed before words are counted, so "got it" is not two words. */
const BACKCHANNEL_PHRASES = [/\bgot it\b/g, /\bi see\b/g, /\ball right\b/g, /\buh huh\b/g, /\bmm hmm\b/g];

/** The words of `text` that are not backchannel. */
export function meaningfulWords(text: string): string[] {
  let t = text.toLowerCase().replace(/[^\p{L}\p{N}'\s-]+/gu, " ");
  for (const phrase of BACKCHANNEL_PHRASES) t = t.replace(phrase, " ");
  return t
    .split(/\s+/)
    .map((w) => w.replace(/^[-']+|[-']+$/g, ""))
    .filter((w) => w !== "" && !BACKCHANNEL_WORDS.has(w));
}

/** Text that has words, all of them backchannel. */
export function isBackchannel(text: string): boolean {
  return text.trim() !== "" && meaningfulWords(text).length === 0;
}

/**
 * Whether what the caller has said so far interrupts the reply: enough real words, or enough
 * speech whose words are not known yet (recognisers lag the audio by a few hundred ms) and are
 * not a backchannel so far.
 */
export function interrupts(text: string, voicedMs: number, rule: BargeInSettings): boolean {
  if (meaningfulWords(text).length >= rule.minWords) return true;
  return voicedMs >= rule.minSpeechMs && !isBackchannel(text);
}
