import { wordTable } from "../lib/word-table";

/**
 * Digit runs in caller text as a recognizer writes them: keyed digit groups and spoken digits
 * ("four one one one, double one", "oh" for zero, "forty one eleven"), each item keeping the
 * character span it came from, so that redaction can mask exactly those characters.
 */

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
export interface Item {
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
export function digitChains(text: string): Item[][] {
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
