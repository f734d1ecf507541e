/**
 * Text normalisation shared by the classifier and the slot extractors.
 *
 * Speech-to-text output and typed chat text differ in case, punctuation and contractions;
 * normalising both to the same lowercase token stream lets one set of example phrases serve
 * every channel. Number-ish tokens keep their inner punctuation ("$25.50", "1/5/2026",
 * "4111-1111") because the money, date and digit slot extractors need it.
 */

import { wordTable } from "../lib/word-table";

/** Contractions whose expansion is not derivable from the generic suffix rules below. */
const IRREGULAR_CONTRACTIONS = wordTable({
  "can't": "can not",
  "won't": "will not",
  "shan't": "shall not",
  "ain't": "is not",
  "let's": "let us",
  "y'all": "you all",
  // "'s" is usually possessive ("customer's"), so the generic rule drops it; these are "is".
  "it's": "it is",
  "that's": "that is",
  "what's": "what is",
  "there's": "there is",
  "here's": "here is",
  "who's": "who is",
  "where's": "where is",
  "how's": "how is",
  "he's": "he is",
  "she's": "she is",
});

/** Informal spellings common in chat and in some speech-to-text engines. */
const INFORMAL = wordTable({
  cannot: "can not",
  gonna: "going to",
  wanna: "want to",
  gotta: "got to",
  lemme: "let me",
  gimme: "give me",
});

/** Generic suffix rules, tried in order; "i'd" → "i would" (the brief's reading, not "i had"). */
const SUFFIX_RULES: ReadonlyArray<readonly [RegExp, string]> = [
  [/n't$/, " not"],
  [/'re$/, " are"],
  [/'ve$/, " have"],
  [/'ll$/, " will"],
  [/'d$/, " would"],
  [/'m$/, " am"],
  [/'s$/, ""],
];

function expandOne(word: string): string {
  const irregular = IRREGULAR_CONTRACTIONS.get(word);
  if (irregular !== undefined) return irregular;
  for (const [suffix, replacement] of SUFFIX_RULES) {
    if (suffix.test(word)) return word.replace(suffix, replacement);
  }
  return word;
}

/** Expands contractions in already-lowercased text: "i'd like" → "i would like". */
export function expandContractions(lower: string): string {
  return lower.replace(/[a-z]+'[a-z]+/g, expandOne).replace(/[a-z]+/g, (w) => INFORMAL.get(w) ?? w);
}

/**
 * One token per match, tried left to right:
 * - digit groups joined by "/" or "-" (dates, card numbers typed with dashes),
 * - money/plain numbers with optional "$", thousands commas, decimals and ordinal suffixes,
 * - words.
 * Everything else (punctuation, emoji, stray apostrophes) separates tokens.
 */
const TOKEN = /\d+(?:[/-]\d+)+|\$ ?\d+(?:,\d{3})*(?:\.\d+)?|\d+(?:,\d{3})*(?:\.\d+)?(?:st|nd|rd|th)?|[a-z]+/g;

/** Lowercases, folds accents and curly quotes, expands contractions and splits into tokens. */
export function tokenize(raw: string): string[] {
  const folded = raw
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[\u2018\u2019\u02bc\u00b4`]/g, "'");
  const tokens = expandContractions(folded).match(TOKEN) ?? [];
  // "$ 25" and "1,000" are normalised so later stages see one spelling per number.
  return tokens.map((t) => (/^\$|\d,\d/.test(t) ? t.replace(/[ ,]/g, "") : t));
}

/** Normalised text as a single space-joined string (handy for logs and regex slots). */
export function normalizeText(raw: string): string {
  return tokenize(raw).join(" ");
}
