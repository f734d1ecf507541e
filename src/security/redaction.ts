/**
 * Redaction of sensitive data in caller text (PCI DSS 3.3.1 and privacy), before it is stored in
 * any tier, returned or logged. Pure functions; nothing here keeps or logs a value.
 *
 * What is masked:
 * - Card numbers: 13–19 digits that pass the Luhn check, keyed ("4111 1111-1111.1111") or spoken
 *   as a recognizer transcribes them ("four one one one, double one ...", "oh" for zero, words
 *   and digits mixed). The mask keeps only the last four digits (PCI DSS allows at most the first
 *   six and last four): `[redacted card ending 1111]`, which still reads well when spoken by TTS.
 * - Card security codes: a standalone run of 3–4 digits, only in a payment context (the flow
 *   step being answered is a payment step, see isPaymentStep, or the same text mentions "cvv",
 *   "security code", "three digits on the back" ...). Mask: `[redacted code]`.
 * - Configured patterns (REDACT_PATTERNS): `[redacted <name>]`.
 *
 * Digit runs that are not cards (phone and order numbers that fail Luhn, amounts) stay as they are.
 *
 * Why not nlp/numbers.ts: it turns number words into digit strings for slots, but loses where in
 * the text each digit came from and reads "twenty five" as one cardinal; redaction has to know
 * the exact character span to mask, so a small span-keeping scanner lives here instead.
 */
import type { RedactPattern } from "../config/redact-patterns";
import { wordTable } from "../lib/word-table";

export interface RedactOptions {
  /** The caller is answering a payment step: any standalone 3–4 digit code is masked. */
  payment?: boolean;
  /** Set false to never apply the security-code rule (e.g. to replies, where amounts are common). */
  codes?: boolean;
  /** Operator patterns (REDACT_PATTERNS). */
  patterns?: readonly RedactPattern[];
  /** Patterns run on at most this many characters at a time (MAX_TEXT_CHARS), to bound ReDoS cost. */
  maxPatternChars?: number;
}

/** Kinds and counts of what was masked, e.g. { card: 1, email: 2 }; never the values. Safe to log. */
export type RedactionCounts = Record<string, number>;

export interface Redaction {
  text: string;
  counts: RedactionCounts;
  /** Whether anything was masked. */
  redacted: boolean;
}

type Kind = "card" | "code" | "pattern";

interface Span {
  start: number;
  end: number;
  kind: Kind;
  /** "card", "code" or the pattern's name: the key in RedactionCounts. */
  name: string;
  mask: string;
  /** Digits of a card or code (only to mask values derived from the same text; never output). */
  digits?: string;
}

export const CODE_MASK = "[redacted code]";
const cardMask = (digits: string): string => `[redacted card ending ${digits.slice(-4)}]`;
const patternMask = (name: string): string => `[redacted ${name}]`;

// ---------------------------------------------------------------- Luhn

/** The Luhn (mod 10) check every payment card number passes. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

// ---------------------------------------------------------------- scanning digit runs

const DIGIT_WORDS = wordTable({
  zero: "0",
  oh: "0",
  o: "0",
  nought: "0",
  naught: "0",
  one: "1",
  two: "2",
  three: "3",
  four: "4",
  five: "5",
  six: "6",
  seven: "7",
  eight: "8",
  nine: "9",
});
/** Read in pairs ("forty one eleven"): recognizers sometimes write those as words. */
const TEENS = wordTable({
  ten: "10",
  eleven: "11",
  twelve: "12",
  thirteen: "13",
  fourteen: "14",
  fifteen: "15",
  sixteen: "16",
  seventeen: "17",
  eighteen: "18",
  nineteen: "19",
});
const TENS = wordTable({
  twenty: "2",
  thirty: "3",
  forty: "4",
  fifty: "5",
  sixty: "6",
  seventy: "7",
  eighty: "8",
  ninety: "9",
});
const REPEATS = wordTable({ double: 2, triple: 3 });
/** "oh"/"o" are zero only next to other digits ("five oh two"), never on their own ("oh, right"). */
const ZERO_LETTERS = new Set(["oh", "o"]);

/** One digit-bearing unit of text: a keyed digit group, a digit word, "double five", "forty one". */
interface Item {
  start: number;
  end: number;
  digits: string;
  /** Only "oh"/"o": such items alone are not digits. */
  letterZero: boolean;
  /** A "." separates this item from the previous one (a decimal amount is not a code). */
  dotBefore: boolean;
}

interface Lexeme {
  text: string;
  start: number;
  end: number;
  type: "num" | "word" | "space" | "punct";
}

const LEXEME = /(\d+)|(\p{L}+)|(\s+)|./gsu;
/** Between the groups of one number: spaces, commas, dots, dashes, and "and". */
const JOINER_PUNCT = new Set([",", ".", "-", "\u2013", "\u2014"]);

function lex(text: string): Lexeme[] {
  const out: Lexeme[] = [];
  for (const m of text.matchAll(LEXEME)) {
    const type = m[1] ? "num" : m[2] ? "word" : m[3] ? "space" : "punct";
    out.push({ text: m[0], start: m.index, end: m.index + m[0].length, type });
  }
  return out;
}

/**
 * Chains of digit items joined only by spaces, commas, dots, dashes or "and": each chain is one
 * spoken or keyed number as a caller gives it ("4111 1111 ...", "four one one one, one one ...").
 */
function digitChains(text: string): Item[][] {
  const lexemes = lex(text);
  const chains: Item[][] = [];
  let chain: Item[] = [];
  let dot = false;
  const close = (): void => {
    // A chain of nothing but "oh"s is an interjection, not a number.
    if (chain.some((i) => !i.letterZero)) chains.push(chain);
    chain = [];
    dot = false;
  };
  const push = (start: number, end: number, digits: string, letterZero = false): void => {
    chain.push({ start, end, digits, letterZero, dotBefore: chain.length > 0 && dot });
    dot = false;
  };
  /** Index of the next lexeme after at most one space (or, with `hyphen`, one "-"). */
  const nextWord = (i: number, hyphen = false): number => {
    const j = i + 1;
    const sep = lexemes[j];
    if (sep && (sep.type === "space" || (hyphen && sep.text === "-"))) return j + 1;
    return j;
  };

  for (let i = 0; i < lexemes.length; i++) {
    const lx = lexemes[i] as Lexeme;
    if (lx.type === "num") {
      push(lx.start, lx.end, lx.text);
      continue;
    }
    if (lx.type === "space" || (lx.type === "punct" && JOINER_PUNCT.has(lx.text))) {
      if (lx.text === ".") dot = true;
      continue;
    }
    if (lx.type === "punct") {
      close();
      continue;
    }
    const word = lx.text.toLowerCase();
    const digit = DIGIT_WORDS.get(word);
    if (digit !== undefined) {
      push(lx.start, lx.end, digit, ZERO_LETTERS.has(word));
      continue;
    }
    const repeat = REPEATS.get(word);
    if (repeat !== undefined) {
      const j = nextWord(i);
      const target = lexemes[j];
      const repeated = target?.type === "word" ? DIGIT_WORDS.get(target.text.toLowerCase()) : undefined;
      if (target && repeated !== undefined) {
        push(lx.start, target.end, repeated.repeat(repeat));
        i = j;
        continue;
      }
    }
    const teen = TEENS.get(word);
    if (teen !== undefined) {
      push(lx.start, lx.end, teen);
      continue;
    }
    const tens = TENS.get(word);
    if (tens !== undefined) {
      // "forty one" / "forty-one" is 41; "forty" alone is 40.
      const j = nextWord(i, true);
      const target = lexemes[j];
      const unit = target?.type === "word" ? DIGIT_WORDS.get(target.text.toLowerCase()) : undefined;
      if (target && unit !== undefined && unit !== "0" && !ZERO_LETTERS.has(target.text.toLowerCase())) {
        push(lx.start, target.end, tens + unit);
        i = j;
      } else {
        push(lx.start, lx.end, `${tens}0`);
      }
      continue;
    }
    if (word === "and" && chain.length > 0) continue;
    close();
  }
  close();
  return chains;
}

// ---------------------------------------------------------------- cards and codes

const MIN_CARD = 13;
const MAX_CARD = 19;
/** When several Luhn-valid windows overlap, the mask shows the last four of the likeliest length. */
const LENGTH_PREFERENCE = [16, 15, 14, 13, 19, 18, 17];

/**
 * Card spans in one chain. A card may start and end at any item boundary (a caller may say more
 * digits around it, e.g. the expiry), so every window of 13–19 digits is Luhn-checked; windows
 * that overlap are masked together, over-masking rather than leaving part of a card visible.
 * Returns the spans and which items they cover.
 */
function cardSpans(chain: readonly Item[]): { spans: Span[]; covered: boolean[] } {
  const windows: { from: number; to: number; digits: string }[] = [];
  for (let from = 0; from < chain.length; from++) {
    let digits = "";
    for (let to = from; to < chain.length; to++) {
      digits += (chain[to] as Item).digits;
      if (digits.length > MAX_CARD) break;
      if (digits.length >= MIN_CARD && luhnValid(digits) && /[1-9]/.test(digits)) windows.push({ from, to, digits });
    }
  }
  const covered = chain.map(() => false);
  const spans: Span[] = [];
  // Windows are in `from` order: merge overlapping ones into clusters.
  let cluster: typeof windows = [];
  const flush = (): void => {
    if (cluster.length === 0) return;
    const from = Math.min(...cluster.map((w) => w.from));
    const to = Math.max(...cluster.map((w) => w.to));
    const rank = (w: (typeof windows)[number]): number => LENGTH_PREFERENCE.indexOf(w.digits.length);
    const best = cluster.reduce((a, b) => (rank(b) < rank(a) ? b : a));
    for (let k = from; k <= to; k++) covered[k] = true;
    spans.push({
      start: (chain[from] as Item).start,
      end: (chain[to] as Item).end,
      kind: "card",
      name: "card",
      mask: cardMask(best.digits),
      digits: best.digits,
    });
    cluster = [];
  };
  let reach = -1;
  for (const w of windows) {
    if (w.from > reach) flush();
    cluster.push(w);
    reach = Math.max(reach, w.to);
  }
  flush();
  return { spans, covered };
}

/**
 * Words that put a text in a payment context: card security codes by their names, as typed or as
 * a recognizer spells them ("c v v"), and the way agents ask for them.
 */
const CODE_CONTEXT =
  /\b(?:c[\s.-]?v[\s.-]?[vcn]2?|csc|security code|card verification|verification (?:code|value|number)|(?:three|four|3|4) digits? on the (?:back|front)|digits on the (?:back|front))\b/i;
/** A state or collect slot named for card data ("card_number", "cvv", "securityCode"). */
const PAYMENT_NAME = /card|cvv|cvc|cvn|security_?code|verification/i;

/** Whether a text mentions a card security code. */
export function mentionsSecurityCode(text: string): boolean {
  return CODE_CONTEXT.test(text);
}

/**
 * Whether a flow state is a payment step, whose answers may be a security code: a `secure` state,
 * a state or `collect` slot named for card data, or a state whose prompt asks for a security code.
 */
export function isPaymentStep(
  name: string,
  state: { secure?: boolean; prompt?: string; collect?: { slot: string } } | undefined,
): boolean {
  if (!state) return false;
  if (state.secure === true) return true;
  if (PAYMENT_NAME.test(name) || PAYMENT_NAME.test(state.collect?.slot ?? "")) return true;
  return state.prompt !== undefined && mentionsSecurityCode(state.prompt);
}

const CURRENCY_BEFORE = /[$£€¥]\s?$/;
const UNIT_AFTER = /^\s?(?:%|dollars?\b|bucks\b|cents?\b|euros?\b|pounds?\b|usd\b|eur\b|gbp\b)/i;

/** 3–4 digit runs left over between cards: codes, unless they read as an amount or a decimal. */
function codeSpans(text: string, chain: readonly Item[], covered: readonly boolean[]): Span[] {
  const spans: Span[] = [];
  let run: Item[] = [];
  const flush = (): void => {
    const digits = run.map((i) => i.digits).join("");
    const first = run[0];
    const last = run[run.length - 1];
    if (
      first &&
      last &&
      digits.length >= 3 &&
      digits.length <= 4 &&
      run.some((i) => !i.letterZero) &&
      !run.slice(1).some((i) => i.dotBefore) &&
      !CURRENCY_BEFORE.test(text.slice(Math.max(0, first.start - 2), first.start)) &&
      !UNIT_AFTER.test(text.slice(last.end, last.end + 9))
    ) {
      spans.push({ start: first.start, end: last.end, kind: "code", name: "code", mask: CODE_MASK, digits });
    }
    run = [];
  };
  chain.forEach((item, k) => {
    if (covered[k]) flush();
    else run.push(item);
  });
  flush();
  return spans;
}

// ---------------------------------------------------------------- configured patterns

/** Pieces of at most `max` characters, cut at whitespace where possible. */
function chunks(text: string, max: number): [number, number][] {
  const out: [number, number][] = [];
  for (let start = 0; start < text.length;) {
    let end = Math.min(text.length, start + max);
    if (end < text.length) {
      const cut = text.lastIndexOf(" ", end);
      if (cut > start) end = cut;
    }
    out.push([start, end]);
    start = end;
  }
  return out;
}

function patternSpans(text: string, patterns: readonly RedactPattern[], max: number): Span[] {
  const spans: Span[] = [];
  // A match across a chunk boundary is missed; transcripts beyond MAX_TEXT_CHARS are rare.
  for (const [from, to] of chunks(text, max)) {
    const piece = text.slice(from, to);
    for (const p of patterns) {
      for (const m of piece.matchAll(p.regex)) {
        if (m[0].length === 0) continue;
        spans.push({
          start: from + m.index,
          end: from + m.index + m[0].length,
          kind: "pattern",
          name: p.name,
          mask: patternMask(p.name),
        });
      }
    }
  }
  return spans;
}

// ---------------------------------------------------------------- redaction

const PRIORITY: Record<Kind, number> = { card: 0, code: 1, pattern: 2 };

/** Every sensitive span in the text, sorted and merged so no two overlap. */
function findSpans(text: string, options: RedactOptions): Span[] {
  const codes = options.codes !== false && (options.payment === true || mentionsSecurityCode(text));
  const found: Span[] = [];
  for (const chain of digitChains(text)) {
    const cards = cardSpans(chain);
    found.push(...cards.spans);
    if (codes) found.push(...codeSpans(text, chain, cards.covered));
  }
  if (options.patterns?.length) found.push(...patternSpans(text, options.patterns, options.maxPatternChars ?? 5000));
  found.sort((a, b) => a.start - b.start || PRIORITY[a.kind] - PRIORITY[b.kind]);
  const merged: Span[] = [];
  for (const span of found) {
    const prev = merged[merged.length - 1];
    if (prev && span.start < prev.end) {
      // Overlap: one mask over both, the stronger kind's (a card over a pattern that hit its digits).
      const end = Math.max(prev.end, span.end);
      merged[merged.length - 1] =
        PRIORITY[span.kind] < PRIORITY[prev.kind] ? { ...span, start: prev.start, end } : { ...prev, end };
    } else {
      merged.push(span);
    }
  }
  return merged;
}

function count(spans: readonly Span[]): RedactionCounts {
  const counts: RedactionCounts = {};
  for (const s of spans) counts[s.name] = (counts[s.name] ?? 0) + 1;
  return counts;
}

function apply(text: string, spans: readonly Span[]): string {
  let out = "";
  let at = 0;
  for (const s of spans) {
    out += text.slice(at, s.start) + s.mask;
    at = s.end;
  }
  return out + text.slice(at);
}

/** Masks cards, codes (in a payment context) and configured patterns; reports kinds and counts. */
export function redact(text: string, options: RedactOptions = {}): Redaction {
  const spans = findSpans(text, options);
  return { text: apply(text, spans), counts: count(spans), redacted: spans.length > 0 };
}

export interface TurnRedaction extends Redaction {
  /**
   * Masks a value derived from the same text (a slot, a reply that echoes one): cards and
   * patterns in it, and any standalone occurrence of a card or code found in the text, so
   * "123" taken as a digits slot from "my cvv is one two three" is masked too.
   */
  derived(value: string): string;
  /** derived() applied to the string values of a record (slots, context updates). */
  derivedValues<T>(record: Record<string, T>): Record<string, T | string>;
}

/**
 * Redacts one caller turn. The raw text may still be used within the turn (intent matching);
 * what is stored, returned or logged comes from here.
 */
export function redactTurn(text: string, options: RedactOptions = {}): TurnRedaction {
  const spans = findSpans(text, options);
  const secrets = spans.filter((s) => s.digits !== undefined);
  const derived = (value: string): string => {
    let out = redact(value, { ...options, codes: false }).text;
    for (const s of secrets) out = out.replace(new RegExp(`(?<!\\d)${s.digits}(?!\\d)`, "g"), s.mask);
    return out;
  };
  return {
    text: apply(text, spans),
    counts: count(spans),
    redacted: spans.length > 0,
    derived,
    derivedValues: (record) =>
      Object.fromEntries(Object.entries(record).map(([k, v]) => [k, typeof v === "string" ? derived(v) : v])),
  };
}

/**
 * Masks recognizer word timings consistently with the text: the words are joined and redacted like
 * a transcript, and the words of each masked span become one entry carrying the mask (from the
 * first word's start to the last word's end, with the lowest confidence among them).
 */
export function redactWords<W extends { word: string; startMs: number; endMs: number; confidence: number }>(
  words: readonly W[],
  options: RedactOptions = {},
): { words: W[]; counts: RedactionCounts } {
  const offsets: number[] = [];
  let joined = "";
  for (const w of words) {
    if (joined) joined += " ";
    offsets.push(joined.length);
    joined += w.word;
  }
  const spans = findSpans(joined, options);
  if (spans.length === 0) return { words: [...words], counts: {} };
  const out: W[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as W;
    const start = offsets[i] as number;
    const span = spans.find((s) => s.start < start + w.word.length && start < s.end);
    if (!span) {
      out.push(w);
      continue;
    }
    let last = w;
    let confidence = w.confidence;
    while (i + 1 < words.length && (offsets[i + 1] as number) < span.end) {
      i++;
      last = words[i] as W;
      confidence = Math.min(confidence, last.confidence);
    }
    out.push({ ...w, word: span.mask, endMs: last.endMs, confidence });
  }
  return { words: out, counts: count(spans) };
}

/** Whether redaction `a` masked at least as much of every kind as `b` (two views of one content). */
export function coversCounts(a: RedactionCounts, b: RedactionCounts): boolean {
  return Object.entries(b).every(([kind, n]) => (a[kind] ?? 0) >= n);
}

// ---------------------------------------------------------------- REDACT_PATTERNS setting
