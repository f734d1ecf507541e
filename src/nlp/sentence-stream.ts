import { splitSentences, type SplitOptions } from "./sentences";

/**
 * A reply cut into sentences while it is still being written (a model's tokens), so each can be
 * synthesised while the next is written. Same chunks as splitSentences on the whole text, except
 * that a sentence is let go as soon as it is known to be complete:
 *   - when text after it has started (the boundary splitSentences would cut at), or
 *   - when the text so far ends at a sentence boundary, judged as if a capitalised word followed
 *     ("Dr." and "e.g." never end one), and is at least minChars long: a model that pauses after
 *     "Let me check that for you." gets it spoken during the pause rather than after it.
 * Whatever is left when the writer stops comes out of end().
 */
export class SentenceStream {
  private buffer = "";
  private readonly minChars: number;

  constructor(private readonly options: SplitOptions = {}) {
    this.minChars = options.minChars ?? 20;
  }

  /** Adds written text; returns the sentences now complete, in order (often none). */
  push(text: string): string[] {
    this.buffer += text;
    if (this.buffer.trim().length >= this.minChars && endsAtBoundary(this.buffer)) return this.take(this.buffer.length);
    const chunks = splitSentences(this.buffer, this.options);
    if (chunks.length < 2) return [];
    // Every chunk but the last is complete; the last may still grow.
    const last = chunks[chunks.length - 1]!;
    return this.take(this.buffer.lastIndexOf(last));
  }

  /** The rest of the text, once the writer is done. */
  end(): string[] {
    return this.take(this.buffer.length);
  }

  private take(upTo: number): string[] {
    const done = this.buffer.slice(0, upTo);
    this.buffer = this.buffer.slice(upTo);
    return splitSentences(done, this.options);
  }
}

/** Whether `text` ends where a sentence does, if a capitalised word came next. */
function endsAtBoundary(text: string): boolean {
  if (!/[.!?…]["'”’»)\]]*$/u.test(text)) return false;
  const probe = splitSentences(`${text} Z`, { minChars: 0, maxChars: Number.MAX_SAFE_INTEGER });
  return probe[probe.length - 1] === "Z";
}
