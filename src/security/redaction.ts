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
 * the exact character span to mask, so a small span-keeping scanner does (digit-chains.ts); cards and
 * codes are found in its digit runs by card-spans.ts.
 */
import type { RedactPattern } from "../config/redact-patterns";
import { digitChains } from "./digit-chains";
import { cardSpans, codeSpans, mentionsSecurityCode, type Kind, type Span } from "./card-spans";

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

const patternMask = (name: string): string => `[redacted ${name}]`;

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

/** Every string in a JSON value masked (tool arguments and results, a call's context, an event's metadata). */
export function maskStrings(value: unknown, mask: (text: string) => string): unknown {
  if (typeof value === "string") return mask(value);
  if (Array.isArray(value)) return value.map((v) => maskStrings(v, mask));
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskStrings(v, mask)]));
  return value;
}
