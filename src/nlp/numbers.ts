/**
 * Spoken numbers → digits, for slot extraction.
 *
 * Callers read account and card numbers digit by digit ("four one one one") but say amounts
 * and years as cardinals ("twenty five", "two thousand twenty six", "nineteen ninety nine").
 * A contiguous run of number words is split into cardinal segments and the segments are
 * concatenated, which yields the string a keypad would have produced in every case above:
 * "one two three" → "123", "twenty five" → "25", "nineteen ninety nine" → "1999".
 */

import { wordTable } from "../lib/word-table";

const UNITS = wordTable({
  zero: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
});
const TEENS = wordTable({
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
});
const TENS = wordTable({
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90,
});
const SCALES = wordTable({ thousand: 1_000, million: 1_000_000 });

/** Ordinals end a number ("twenty first" → "21st") so dates can recognise the day. */
const ORDINALS = wordTable({
  first: 1,
  second: 2,
  third: 3,
  fourth: 4,
  fifth: 5,
  sixth: 6,
  seventh: 7,
  eighth: 8,
  ninth: 9,
  tenth: 10,
  eleventh: 11,
  twelfth: 12,
  thirteenth: 13,
  fourteenth: 14,
  fifteenth: 15,
  sixteenth: 16,
  seventeenth: 17,
  eighteenth: 18,
  nineteenth: 19,
  twentieth: 20,
  thirtieth: 30,
});

type Kind = "unit" | "teen" | "tens" | "hundred" | "scale";

function kindOf(word: string): Kind | undefined {
  if (UNITS.has(word)) return "unit";
  if (TEENS.has(word)) return "teen";
  if (TENS.has(word)) return "tens";
  if (word === "hundred") return "hundred";
  if (SCALES.has(word)) return "scale";
  return undefined;
}

function ordinalSuffix(n: number): string {
  const lastTwo = n % 100;
  if (lastTwo >= 11 && lastTwo <= 13) return "th";
  return ({ 1: "st", 2: "nd", 3: "rd" } as Record<number, string>)[n % 10] ?? "th";
}

/** A cardinal being built: `total` holds completed thousands/millions, `small` the 0-999 part. */
interface Cardinal {
  total: number;
  small: number;
  last: Kind;
}

/** Whether `kind` continues the cardinal (e.g. "five" after "twenty") rather than starting a new one. */
function continues(c: Cardinal, kind: Kind): boolean {
  const afterHigherPlace = c.last === "hundred" || c.last === "scale";
  switch (kind) {
    case "unit":
      return afterHigherPlace || (c.last === "tens" && c.small % 10 === 0);
    case "teen":
    case "tens":
      return afterHigherPlace;
    case "hundred":
      return c.last !== "hundred" && c.last !== "scale" && c.small > 0 && c.small < 100;
    case "scale":
      return c.last !== "scale";
  }
}

function add(c: Cardinal, kind: Kind, word: string): void {
  switch (kind) {
    case "unit":
      c.small += UNITS.get(word) ?? 0;
      break;
    case "teen":
      c.small += TEENS.get(word) ?? 0;
      break;
    case "tens":
      c.small += TENS.get(word) ?? 0;
      break;
    case "hundred":
      c.small *= 100;
      break;
    case "scale":
      c.total += Math.max(c.small, 1) * (SCALES.get(word) ?? 1);
      c.small = 0;
      break;
  }
  c.last = kind;
}

function start(kind: Kind, word: string): Cardinal {
  const c: Cardinal = { total: 0, small: 0, last: kind };
  if (kind === "hundred") c.small = 100;
  else if (kind === "scale") c.total = SCALES.get(word) ?? 0;
  else add(c, kind, word);
  return c;
}

const value = (c: Cardinal): string => String(c.total + c.small);

/**
 * Replaces runs of number words (and adjacent plain digit tokens) with digit strings.
 * Non-number tokens pass through unchanged. Input tokens come from `tokenize`.
 */
export function wordsToNumbers(tokens: readonly string[]): string[] {
  const out: string[] = [];
  let segments: string[] = []; // finished parts of the current run, concatenated at the end
  let current: Cardinal | undefined;

  const closeCardinal = (): void => {
    if (current) segments.push(value(current));
    current = undefined;
  };
  const closeRun = (): void => {
    closeCardinal();
    if (segments.length > 0) out.push(segments.join(""));
    segments = [];
  };
  const inRun = (): boolean => current !== undefined || segments.length > 0;

  for (let i = 0; i < tokens.length; i++) {
    const word = tokens[i] ?? "";
    const next = tokens[i + 1] ?? "";
    const nextKind = kindOf(next);

    // "oh" is zero only inside a digit string ("five oh two"), never as an interjection.
    const kind = word === "oh" && inRun() ? "unit" : kindOf(word);
    const normalisedWord = word === "oh" ? "zero" : word;

    if (kind) {
      if (current && continues(current, kind)) add(current, kind, normalisedWord);
      else {
        closeCardinal();
        current = start(kind, normalisedWord);
      }
      continue;
    }
    const ordinal = ORDINALS.get(word);
    if (ordinal !== undefined) {
      // "twenty first": the ordinal completes the cardinal in progress.
      let n = ordinal;
      if (current && current.last === "tens" && current.small % 10 === 0 && ordinal < 10) {
        n += current.total + current.small;
        current = undefined;
      }
      closeRun();
      out.push(`${n}${ordinalSuffix(n)}`);
      continue;
    }
    if (/^\d+$/.test(word)) {
      // Literal digits typed or transcribed in groups ("4111 1111 ...") join the run.
      closeCardinal();
      segments.push(word);
      continue;
    }
    if (word === "and" && current && (current.last === "hundred" || current.last === "scale") && nextKind) {
      continue; // "one hundred and five"
    }
    if (word === "a" && (nextKind === "hundred" || nextKind === "scale")) {
      closeRun();
      current = { total: 0, small: 1, last: "unit" }; // "a hundred dollars"
      continue;
    }
    if (word === "point" && inRun() && (kindOf(next) === "unit" || /^\d+$/.test(next))) {
      closeCardinal();
      segments.push(".");
      // Digits after the point are read one by one ("point five zero").
      while (i + 1 < tokens.length) {
        const d = tokens[i + 1] ?? "";
        const digit = UNITS.get(d);
        if (digit !== undefined) segments.push(String(digit));
        else if (/^\d+$/.test(d)) segments.push(d);
        else break;
        i++;
      }
      closeRun();
      continue;
    }
    closeRun();
    out.push(word);
  }
  closeRun();
  return out;
}
