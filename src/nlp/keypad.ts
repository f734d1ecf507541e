/**
 * Keypad (DTMF) input: which menu key a turn represents, and the digit string a `collect`
 * step receives. IVR callers often say the key instead of pressing it ("press one", "zero"),
 * and chat users type it ("1"), so those count as keys too.
 */
import type { IntentInput } from "./types";
import { tokenize } from "./normalize";
import { wordsToNumbers } from "./numbers";
import { wordTable } from "../lib/word-table";

const KEY_WORDS = wordTable({ star: "*", asterisk: "*", pound: "#", hash: "#" });
const KEY_LEAD_INS = new Set(["press", "push", "dial", "option", "number", "key", "pressing"]);

/** The key(s) pressed, without the "#" terminator that ends entry on most IVR gateways. */
function pressedKeys(text: string): string {
  const keys = text.replace(/\s+/g, "");
  return keys.length > 1 && keys.endsWith("#") ? keys.slice(0, -1) : keys;
}

/**
 * The menu key this turn selects, or undefined if it is not a key press.
 * DTMF turns are always key presses; a text or speech turn counts only when it is nothing but
 * a single key, optionally after "press"/"option" ("press 0", "one", "star").
 */
export function menuKey(input: IntentInput): string | undefined {
  if (input.source === "dtmf") {
    const keys = pressedKeys(input.text);
    return /^[0-9*#]+$/.test(keys) ? keys : undefined;
  }
  const typed = input.text.trim();
  if (/^[0-9*#]$/.test(typed)) return typed;
  const tokens = wordsToNumbers(tokenize(typed)).map((t) => KEY_WORDS.get(t) ?? t);
  const rest = tokens[0] !== undefined && KEY_LEAD_INS.has(tokens[0]) ? tokens.slice(1) : tokens;
  return rest.length === 1 && /^[0-9*#]$/.test(rest[0] ?? "") ? rest[0] : undefined;
}

/**
 * Digits for a `collect` step, or undefined when the turn holds no digits at all.
 * A DTMF turn must be only digits (plus the terminator); "12*4" yields "" so the step can
 * reject it. Spoken or typed turns may wrap the digits in words ("my card is four one ...").
 */
export function collectedDigits(input: IntentInput): string | undefined {
  if (input.source === "dtmf") {
    const keys = pressedKeys(input.text);
    if (keys === "") return undefined;
    return /^\d+$/.test(keys) ? keys : "";
  }
  const digits = wordsToNumbers(tokenize(input.text))
    .filter((t) => /^\d+(?:[-/]\d+)*$/.test(t))
    .join("")
    .replace(/\D/g, "");
  return digits === "" ? undefined : digits;
}

/**
 * Masks sensitive digits before they reach context, logs or replies. Card-length numbers keep
 * their last four (what PCI DSS allows to be shown, and what callers expect to hear back);
 * anything shorter — PINs, expiry dates, security codes — is hidden entirely.
 */
export function maskDigits(digits: string): string {
  const visible = digits.length >= 12 ? 4 : 0;
  return "*".repeat(digits.length - visible) + digits.slice(digits.length - visible);
}
