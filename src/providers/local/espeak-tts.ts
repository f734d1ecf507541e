// SPDX-License-Identifier: GPL-3.0-or-later
/**
 * "local" text-to-speech: eSpeak NG running inside the Worker (see ./espeak-engine.ts), no network,
 * English only. Returns 16-bit mono PCM at eSpeak's native 22050 Hz; the caller resamples.
 *
 * Voices: a BCP-47-like English tag ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-029",
 * "en-us-nyc", ...) optionally followed by "+variant" ("en-us+f3", "en-gb+m3", "en+whisper"), or a
 * bare variant ("f2") applied to the request language's voice. A voice name this engine does not
 * know (say a cloud provider's "Joanna") falls back to the request language's default voice, so the
 * engine still works as the last link of a provider chain; a non-English language with no English
 * voice requested is refused with UnsupportedLanguageError.
 */
import { concatSamples } from "../../lib/bytes";
import type { PcmSpeech, TextToSpeech, TtsEncoding, TtsRequest } from "../types";
import {
  discardEspeakEngine,
  ESPEAK_RATE_DEFAULT,
  ESPEAK_RATE_MAX,
  ESPEAK_RATE_MIN,
  getEspeakEngine,
  type EspeakEngine,
} from "./espeak-engine";
import { errorMessage } from "../../lib/errors";

export const DEFAULT_MAX_TEXT_CHARS = 5000;
/** Text is synthesized in pieces of at most this many characters, yielding between pieces. */
const CHUNK_CHARS = 400;

/** English voices shipped in the bundled data, by lower-case tag, to eSpeak voice file names. */
const VOICES: Record<string, string> = {
  en: "gmw/en",
  "en-gb": "gmw/en",
  "en-uk": "gmw/en",
  "en-us": "gmw/en-US",
  "en-us-nyc": "gmw/en-US-nyc",
  "en-029": "gmw/en-029",
  "en-gb-scotland": "gmw/en-GB-scotland",
  "en-gb-x-rp": "gmw/en-GB-x-rp",
  "en-gb-x-gbclan": "gmw/en-GB-x-gbclan",
  "en-gb-x-gbcwmd": "gmw/en-GB-x-gbcwmd",
};
/** English regions without a voice of their own, to the closest one eSpeak has. */
const US_LIKE_REGIONS = new Set(["us", "ca", "ph", "pr", "um", "vi", "as", "gu", "mp"]);

export class UnsupportedLanguageError extends Error {
  override name = "UnsupportedLanguageError";
}
export class TextTooLongError extends RangeError {
  override name = "TextTooLongError";
}

export interface LocalSpeechSynthesizerOptions {
  /** Speaking rate in words per minute, 80..450 (eSpeak's range); default 175. */
  rate?: number;
  /** Voice used when the request names none; default: the request language's voice. */
  voice?: string;
  /** Longest text accepted, after control characters are stripped; default 5000. */
  maxChars?: number;
}

/** A TtsRequest may carry a per-request rate (words per minute) for this engine. */
export type LocalTtsRequest = TtsRequest & { rate?: number };

export class LocalSpeechSynthesizer implements TextToSpeech {
  readonly name = "local";
  readonly region = "edge";
  readonly encodings: readonly TtsEncoding[] = ["pcm"];
  private readonly rate: number;
  private readonly voice: string | undefined;
  private readonly maxChars: number;

  constructor(options: LocalSpeechSynthesizerOptions = {}) {
    this.rate = clampRate(options.rate ?? ESPEAK_RATE_DEFAULT);
    this.voice = options.voice;
    this.maxChars = options.maxChars ?? DEFAULT_MAX_TEXT_CHARS;
  }

  async synthesize(req: LocalTtsRequest, signal?: AbortSignal): Promise<PcmSpeech> {
    signal?.throwIfAborted();
    const text = cleanText(req.text);
    if (text.length > this.maxChars) {
      throw new TextTooLongError(`text is ${text.length} characters; the local engine takes at most ${this.maxChars}`);
    }
    const rate = clampRate(req.rate ?? this.rate);
    const pending = getEspeakEngine();
    const engine = await pending;
    const voice = resolveVoice(req.voice ?? this.voice, req.language, engine);
    if (!text) return { samples: new Int16Array(0), sampleRate: engine.sampleRate };

    const pieces: Int16Array[] = [];
    const chunks = splitText(text, CHUNK_CHARS);
    for (const [i, chunk] of chunks.entries()) {
      if (i > 0) await yieldToEventLoop();
      signal?.throwIfAborted();
      try {
        pieces.push(engine.synthesize(toEspeakInput(chunk), voice, rate, () => signal?.aborted ?? false));
      } catch (err) {
        // An exception out of the Emscripten runtime may leave it inconsistent: start afresh next time.
        discardEspeakEngine(pending);
        throw new Error(`espeak-ng synthesis failed: ${errorMessage(err)}`, {
          cause: err,
        });
      }
    }
    signal?.throwIfAborted();
    return { samples: concatSamples(pieces), sampleRate: engine.sampleRate };
  }
}

function clampRate(rate: number): number {
  if (!Number.isFinite(rate)) return ESPEAK_RATE_DEFAULT;
  return Math.min(ESPEAK_RATE_MAX, Math.max(ESPEAK_RATE_MIN, Math.round(rate)));
}

/** The eSpeak voice name for a request: "gmw/en-US", "gmw/en+f3", ... */
export function resolveVoice(
  voice: string | undefined,
  language: string,
  engine: Pick<EspeakEngine, "variants">,
): string {
  let base: string | undefined;
  let variant: string | undefined;
  if (voice) {
    const [head = "", tail] = voice.trim().split("+", 2);
    const tag = head
      .toLowerCase()
      .replace(/_/g, "-")
      .replace(/^gmw\//, "");
    base = VOICES[tag];
    variant = findVariant(tail ?? (base ? undefined : head), engine.variants);
  }
  base ??= voiceForLanguage(language);
  if (!base) throw new UnsupportedLanguageError(`the local engine speaks English only, not '${language}'`);
  return variant ? `${base}+${variant}` : base;
}

function voiceForLanguage(language: string): string | undefined {
  const tag = language.trim().toLowerCase().replace(/_/g, "-");
  if (VOICES[tag]) return VOICES[tag];
  const [lang, region] = tag.split("-");
  if (lang !== "en") return undefined;
  return region && US_LIKE_REGIONS.has(region) ? VOICES["en-us"] : VOICES["en-gb"];
}

function findVariant(name: string | undefined, variants: ReadonlySet<string>): string | undefined {
  if (!name) return undefined;
  const wanted = name.trim().toLowerCase();
  for (const v of variants) if (v.toLowerCase() === wanted) return v;
  return undefined;
}

/**
 * Drops what should never reach the synthesizer: C0/C1 control characters, lone surrogates,
 * bidi and zero-width format characters; whitespace runs become one space.
 */
export function cleanText(text: string): string {
  return (
    text
      .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "")
      // eslint-disable-next-line no-control-regex -- removing control characters is the point
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g, "")
      .replace(/[\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g, "")
      .replace(/\s+/g, " ")
      .trim()
  );
}

/**
 * The engine reads SSML and [[phoneme]] notation; the text is plain, so markup characters are
 * escaped and "[[" is broken up.
 */
function toEspeakInput(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\[\[/g, "[ [");
}

/** Splits at sentence ends (or, for a very long sentence, at spaces) into pieces of <= max chars. */
export function splitText(text: string, max: number): string[] {
  const sentences = text.split(/(?<=[.!?;:])\s+/);
  const out: string[] = [];
  let current = "";
  const push = (piece: string) => {
    if (!current) current = piece;
    else if (current.length + 1 + piece.length <= max) current += ` ${piece}`;
    else {
      out.push(current);
      current = piece;
    }
  };
  for (const sentence of sentences) {
    if (sentence.length <= max) {
      push(sentence);
      continue;
    }
    let rest = sentence;
    while (rest.length > max) {
      let cut = rest.lastIndexOf(" ", max);
      if (cut <= 0) cut = /[\uD800-\uDBFF]/.test(rest[max - 1] ?? "") ? max - 1 : max;
      push(rest.slice(0, cut));
      rest = rest.slice(cut).trimStart();
    }
    if (rest) push(rest);
  }
  if (current) out.push(current);
  return out;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
