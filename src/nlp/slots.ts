/**
 * Slot extraction: pulls typed values out of an utterance once its intent is known.
 * Every extractor works on number-normalised tokens, so spoken and typed forms agree:
 * "twenty five dollars" and "$25" both give money "25.00"; "one two three four" and "1234"
 * both give digits "1234". A slot that is not present is simply absent from the result.
 */
import { extractDate } from "./dates";
import type { FlowSlot } from "./flow-schema";
import { tokenize } from "./normalize";
import { wordsToNumbers } from "./numbers";
import { compilePattern, fullMatch } from "./patterns";
import { stem } from "./stem";

const PLAIN_NUMBER = /^\d+(?:\.\d+)?$/;
const CURRENCY_WORDS = new Set(["dollar", "dollars", "buck", "bucks", "usd"]);
const CENT_WORDS = new Set(["cent", "cents"]);

/** First plain number: "I have 2 accounts" → "2". */
function extractNumber(tokens: readonly string[]): string | undefined {
  return tokens.find((t) => PLAIN_NUMBER.test(t));
}

/** First digit string, with dashes or slashes between groups removed ("555-0100" → "5550100"). */
function extractDigits(tokens: readonly string[]): string | undefined {
  const token = tokens.find((t) => /^\d+(?:[-/]\d+)*$/.test(t));
  return token?.replace(/\D/g, "");
}

/** Amount in cents from "25", "25.5", "$25.50"; undefined if not a number. */
function toCents(token: string | undefined): number | undefined {
  const m = /^\$?(\d+)(?:\.(\d{1,2}))?$/.exec(token ?? "");
  if (!m) return undefined;
  return Number(m[1]) * 100 + Number((m[2] ?? "0").padEnd(2, "0"));
}

const formatCents = (cents: number): string => `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`;

const INTEGER = /^\d+$/;

/** "and 50 cents" / "50 cents" / "50" after "N dollars", as cents (0 when absent). */
function trailingCents(tokens: readonly string[], at: number): number {
  const j = tokens[at] === "and" ? at + 1 : at;
  const token = tokens[j] ?? "";
  if (!INTEGER.test(token) || Number(token) >= 100) return 0;
  if (CENT_WORDS.has(tokens[j + 1] ?? "")) return Number(token);
  // "twenty five dollars fifty": a bare two-digit number right after "dollars" is the cents.
  return j === at && token.length === 2 ? Number(token) : 0;
}

/**
 * Money needs a currency marker ("$", "dollars", "bucks", "cents"), because a bare number in a
 * billing call is as likely an account or invoice number as an amount. Returns "25.00".
 */
function extractMoney(tokens: readonly string[]): string | undefined {
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] ?? "";
    const cents = toCents(token);
    if (cents === undefined) continue;
    if (token.startsWith("$")) return formatCents(cents);
    const unit = tokens[i + 1] ?? "";
    if (CURRENCY_WORDS.has(unit)) return formatCents(cents + trailingCents(tokens, i + 2));
    if (CENT_WORDS.has(unit) && INTEGER.test(token)) return formatCents(Number(token));
  }
  return undefined;
}

/** Enum values match as stemmed phrases, longest first: "my savings account" → "savings". */
function extractEnum(values: readonly string[], tokens: readonly string[]): string | undefined {
  const stems = tokens.map(stem).join(" ");
  const candidates = values
    .map((value) => ({ value, phrase: tokenize(value).map(stem).join(" ") }))
    .filter((c) => c.phrase.length > 0)
    .sort((a, b) => b.phrase.length - a.phrase.length);
  const hit = candidates.find((c) => ` ${stems} `.includes(` ${c.phrase} `));
  return hit?.value;
}

/** Searches the raw text, then the normalised text (so spoken "a b one two" can match "ab12"). */
function extractRegex(pattern: string, raw: string, tokens: readonly string[]): string | undefined {
  const re = compilePattern(pattern, "i");
  const m = re.exec(raw) ?? re.exec(tokens.join(" ")) ?? re.exec(tokens.join(""));
  return m ? (m[1] ?? m[0]) : undefined;
}

/** Extracts one slot, or undefined when the utterance does not contain it. */
export function extractSlot(slot: FlowSlot, raw: string, now: Date): string | undefined {
  const tokens = wordsToNumbers(tokenize(raw));
  let value: string | undefined;
  switch (slot.type) {
    case "number":
      value = extractNumber(tokens);
      break;
    case "digits":
      value = extractDigits(tokens);
      break;
    case "money":
      value = extractMoney(tokens);
      break;
    case "date":
      value = extractDate(tokens, now);
      break;
    case "enum":
      value = extractEnum(slot.values ?? [], tokens);
      break;
    case "regex":
      return slot.pattern === undefined ? undefined : extractRegex(slot.pattern, raw, tokens);
  }
  // For typed slots, `pattern` is a constraint: "^\d{8}$"-style account numbers, etc.
  if (value !== undefined && slot.pattern !== undefined && !fullMatch(slot.pattern, value)) {
    return undefined;
  }
  return value;
}

/** Extracts every declared slot that is present. */
export function extractSlots(slots: readonly FlowSlot[], raw: string, now: Date): Record<string, string> {
  const found: Record<string, string> = {};
  for (const slot of slots) {
    const value = extractSlot(slot, raw, now);
    if (value !== undefined) found[slot.name] = value;
  }
  return found;
}
