import type { KeySource, StreamAttachment } from "./stream-state";

/**
 * Keypad entry on a live stream: keys are collected into one keypad turn until `#`, 32 keys, or
 * DTMF_INTERDIGIT_MS of caller audio without a new key. The entry lives in the socket's
 * attachment, so it survives hibernation. Times are stream ms (caller audio received so far).
 */

/** Keypad keys end their turn after this much caller audio without a new key (or at `#`). */
export const DTMF_INTERDIGIT_MS = 2500;
/** A turn takes at most this many keys (the protocol's `dtmf` message takes 32 as well). */
const MAX_DTMF_DIGITS = 32;
/** A key reported by the carrier (Twilio `dtmf`) and heard in the audio within this much stream time is one press. */
const KEY_ECHO_MS = 1500;
/** Speech starting this close after a key went down is that key's tone, not speech. */
const KEYPAD_ONSET_MS = 300;

type Entry = Pick<StreamAttachment, "digits" | "lastDigitMs" | "keys">;

/** Adds a key pressed at `atMs` to the entry; true when the entry is complete (`#`, or the most keys a turn takes). */
export function addKey(entry: Entry, digit: string, atMs: number): boolean {
  entry.digits += digit;
  entry.lastDigitMs = atMs;
  return digit === "#" || entry.digits.length >= MAX_DTMF_DIGITS;
}

/** Takes the keys entered so far ("" when none). */
export function takeKeys(entry: Entry): string {
  const digits = entry.digits;
  entry.digits = "";
  return digits;
}

/** Whether the entry in progress has waited long enough for another key, at stream time `nowMs`. */
export function entryTimedOut(entry: Entry, nowMs: number): boolean {
  return entry.digits !== "" && nowMs - entry.lastDigitMs >= DTMF_INTERDIGIT_MS;
}

/** Whether speech starting at `atMs` is the tone of the last key rather than speech. */
export function isKeyTone(entry: Entry, atMs: number): boolean {
  return entry.lastDigitMs >= 0 && entry.lastDigitMs >= atMs - KEYPAD_ONSET_MS;
}

/**
 * Whether a key is the other source's report of a press already taken: the carrier's key events
 * and the tones in its audio describe the same presses, and either may come first.
 */
export function echoOfKey(entry: Entry, digit: string, atMs: number, source: KeySource): boolean {
  const keys = (entry.keys ?? []).filter((k) => Math.abs(atMs - k.atMs) <= KEY_ECHO_MS);
  const match = keys.findIndex((k) => k.digit === digit && k.source !== source);
  if (match >= 0) keys.splice(match, 1);
  else keys.push({ digit, atMs, source });
  entry.keys = keys.slice(-MAX_DTMF_DIGITS);
  return match >= 0;
}
