import type { Item } from "./digit-chains";

/**
 * What redaction looks for in digit runs: card numbers (Luhn-valid 13–19 digits) and, in a
 * payment context, security codes; each found as a span of the text with its mask.
 */

export type Kind = "card" | "code" | "pattern";

export interface Span {
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
export const cardMask = (digits: string): string => `[redacted card ending ${digits.slice(-4)}]`;

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
export function cardSpans(chain: readonly Item[]): { spans: Span[]; covered: boolean[] } {
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
export function codeSpans(text: string, chain: readonly Item[], covered: readonly boolean[]): Span[] {
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
