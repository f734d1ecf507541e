/**
 * Reply text cut into chunks for streaming synthesis: the first chunk is synthesised and played
 * while the rest is still being synthesised, so time to first audio depends on the first chunk,
 * not the whole reply.
 *
 * Chunks are sentences: text is cut after . ! ? … (with any closing quotes or brackets) when
 * whitespace follows, and at line breaks. A period does not end a sentence in a decimal or a time
 * (3.5, 10.30: no whitespace follows), after a title or a Latin abbreviation (Mr., Dr., e.g., i.e.),
 * after an initial (J. R. R. Tolkien) or a list number at the start of a line (1. Balance), and after
 * other abbreviations (etc., Inc., Jan., No., p.m., U.S.) unless a capitalised word follows.
 *
 * Then the chunks are made worth a synthesis request: a sentence longer than maxChars (250) is cut
 * at its last clause break (, ; : —) within the limit, else its last space, so a run-on sentence
 * does not delay the first audio; and a chunk shorter than minChars (20) is merged with the next
 * one (a trailing one with the previous), so "Hi!" is not a request of its own, unless the merged
 * chunk would exceed maxChars. Only a single word longer than maxChars (a URL) exceeds it.
 *
 * Every chunk is a trimmed slice of the input, in order, never empty: joining them with spaces
 * gives back the text up to whitespace.
 */

export interface SplitOptions {
  /** Chunks shorter than this are merged with a neighbour. Default 20; 0 keeps every sentence apart. */
  minChars?: number;
  /** Sentences longer than this are cut at a clause break or a space. Default 250. */
  maxChars?: number;
}

/** Titles and Latin abbreviations: more text always follows. Lower case, without the final period. */
const NEVER_FINAL = new Set([
  "mr",
  "mrs",
  "ms",
  "mx",
  "dr",
  "prof",
  "rev",
  "hon",
  "st",
  "mt",
  "sgt",
  "capt",
  "lt",
  "col",
  "gen",
  "gov",
  "sen",
  "e.g",
  "i.e",
  "cf",
  "vs",
  "viz",
  "approx",
]);
/** Abbreviations that may also end a sentence: they do when a capitalised word follows. */
const MAYBE_FINAL = new Set([
  "etc",
  "inc",
  "ltd",
  "co",
  "corp",
  "jr",
  "sr",
  "no",
  "jan",
  "feb",
  "mar",
  "apr",
  "jun",
  "jul",
  "aug",
  "sep",
  "sept",
  "oct",
  "nov",
  "dec",
  "mon",
  "tue",
  "wed",
  "thu",
  "fri",
  "sat",
  "sun",
]);

/** Sentence punctuation (plus closing quotes and brackets) followed by whitespace or the end, or a line break. */
const BOUNDARY = /[.!?…]+["'”’»)\]]*(?=\s|$)|\r?\n/gu;
const OPENING = /^["'“‘«([]+/u;
const CLAUSE_BREAK = /[,;:—–](?=\s)/gu;

type Span = [start: number, end: number];

export function splitSentences(text: string, options: SplitOptions = {}): string[] {
  const minChars = options.minChars ?? 20;
  const maxChars = Math.max(options.maxChars ?? 250, minChars + 1);
  const sentences = sentenceSpans(text).flatMap((span) => splitLong(text, span, minChars, maxChars));
  return mergeShort(sentences, minChars, maxChars).map(([a, b]) => text.slice(a, b));
}

function sentenceSpans(text: string): Span[] {
  const spans: Span[] = [];
  let start = 0;
  for (const m of text.matchAll(BOUNDARY)) {
    const isBreak = m[0].endsWith("\n");
    if (!isBreak && !endsSentence(text, m.index, m[0], start)) continue;
    const end = isBreak ? m.index : m.index + m[0].length;
    pushTrimmed(spans, text, start, end);
    start = m.index + m[0].length;
  }
  pushTrimmed(spans, text, start, text.length);
  return spans;
}

/** Does the punctuation `mark` at `at` end a sentence that began at `sentenceStart`? */
function endsSentence(text: string, at: number, mark: string, sentenceStart: number): boolean {
  if (!mark.startsWith(".") || mark.startsWith("..")) return true; // ! ? … and "..." always do
  const wordStart =
    Math.max(text.lastIndexOf(" ", at - 1), text.lastIndexOf("\n", at - 1), text.lastIndexOf("\t", at - 1)) + 1;
  const word = text.slice(wordStart, at).replace(OPENING, "");
  const lower = word.toLowerCase();
  if (word === "") return true;
  if (NEVER_FINAL.has(lower)) return false;
  if (/^\p{Lu}$/u.test(word)) return false; // an initial
  // "1. " opening a list item
  if (/^\d+$/.test(word) && text.slice(sentenceStart, wordStart).trim() === "") return false;
  if (MAYBE_FINAL.has(lower) || word.includes(".") || /^\p{Ll}$/u.test(word))
    return nextWordCapitalised(text, at + mark.length);
  return true;
}

function nextWordCapitalised(text: string, from: number): boolean {
  const rest = text.slice(from).trimStart().replace(OPENING, "");
  return /^\p{Lu}/u.test(rest);
}

function pushTrimmed(spans: Span[], text: string, start: number, end: number): void {
  let a = start;
  let b = end;
  while (a < b && /\s/u.test(text[a]!)) a++;
  while (b > a && /\s/u.test(text[b - 1]!)) b--;
  if (b > a) spans.push([a, b]);
}

/** Cuts a sentence longer than maxChars after its last clause break, else at its last space, within the limit. */
function splitLong(text: string, span: Span, minChars: number, maxChars: number): Span[] {
  const out: Span[] = [];
  let a = span[0];
  const b = span[1];
  while (b - a > maxChars) {
    const window = text.slice(a, a + maxChars);
    let cut = -1;
    for (const m of window.matchAll(CLAUSE_BREAK)) if (m.index + 1 >= minChars) cut = m.index + 1;
    if (cut < 0) {
      const space = window.search(/\s\S*$/u);
      if (space >= minChars) cut = space;
    }
    if (cut < 0) break; // one enormous word (a URL?): left whole rather than cut mid-word
    const before = out.length;
    pushTrimmed(out, text, a, a + cut);
    if (out.length === before) break;
    a += cut;
    while (a < b && /\s/u.test(text[a]!)) a++;
  }
  pushTrimmed(out, text, a, b);
  return out;
}

function mergeShort(spans: Span[], minChars: number, maxChars: number): Span[] {
  const out: Span[] = [];
  for (const span of spans) {
    const last = out[out.length - 1];
    if (last && last[1] - last[0] < minChars && span[1] - last[0] <= maxChars) last[1] = span[1];
    else out.push([span[0], span[1]]);
  }
  // A short last chunk joins the one before, if that stays within maxChars.
  const last = out[out.length - 1];
  const previous = out[out.length - 2];
  if (last && previous && last[1] - last[0] < minChars && last[1] - previous[0] <= maxChars) {
    previous[1] = last[1];
    out.pop();
  }
  return out;
}
