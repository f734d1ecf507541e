/**
 * Gap and reordering detection for a Twilio Media Stream, for logging dropped or reordered frames.
 *
 * Twilio numbers its messages (https://www.twilio.com/docs/voice/media-streams/websocket-messages):
 * `sequenceNumber` on every message after `connected` ("The first message has a value of 1 and then
 * is incremented for each subsequent message"), and `media.chunk` on media messages ("The first
 * message will begin with 1 and increment with each subsequent message"). Chunks are counted per
 * track (inbound, outbound): a <Connect><Stream> carries only the inbound track, and a
 * both-tracks <Start><Stream> interleaves two.
 *
 * The first number seen on a counter is its baseline (nothing is reported for it), so a tracker
 * created mid-stream, say after a Durable Object restart, does not report the frames before it.
 * After that, a number above the next expected one is a gap (the numbers between are missing so
 * far); one at or below the highest seen is either late (it fills an earlier gap: reordering) or
 * a duplicate. Missing numbers are remembered within a window of the latest `window` numbers.
 */
import type { TwilioMessage } from "./media-messages";

export type SequenceCounterName = "sequenceNumber" | `chunk:${string}`;

export type SequenceAnomaly =
  /** `got` skipped `missing` numbers starting at `expected`. */
  | { counter: SequenceCounterName; kind: "gap"; expected: number; got: number; missing: number }
  /** `got` arrived after higher numbers (it had been counted missing): reordered. */
  | { counter: SequenceCounterName; kind: "late"; expected: number; got: number }
  /** `got` was already seen (or is too old to tell). */
  | { counter: SequenceCounterName; kind: "duplicate"; expected: number; got: number };

export interface CounterStats {
  /** Numbers observed, anomalies included. */
  observed: number;
  /** The first number seen, or null before any. */
  first: number | null;
  /** The highest number seen, or null before any. */
  highest: number | null;
  gaps: number;
  /** Numbers skipped by gaps, whether or not they arrived later. */
  skipped: number;
  late: number;
  duplicates: number;
  /** Skipped numbers that never arrived (so far): skipped - late. */
  lost: number;
}

export const DEFAULT_WINDOW = 1024;

/** One monotonically numbered series. */
export class SequenceCounter {
  private first: number | null = null;
  private highest: number | null = null;
  /** Numbers skipped by a gap and not yet seen, ascending in insertion order. */
  private readonly missing = new Set<number>();
  private observed = 0;
  private gaps = 0;
  private skipped = 0;
  private late = 0;
  private duplicates = 0;

  constructor(
    readonly name: SequenceCounterName,
    private readonly window = DEFAULT_WINDOW,
  ) {}

  /** Record `n`; an anomaly when it is not the next number. Non-integers are ignored (null). */
  observe(n: number): SequenceAnomaly | null {
    if (!Number.isSafeInteger(n) || n < 0) return null;
    this.observed++;
    if (this.highest === null) {
      this.first = this.highest = n;
      return null;
    }
    const expected = this.highest + 1;
    if (n === expected) {
      this.highest = n;
      return null;
    }
    if (n > expected) {
      const missing = n - expected;
      this.gaps++;
      this.skipped += missing;
      for (let m = Math.max(expected, n - this.window); m < n; m++) this.missing.add(m);
      this.highest = n;
      this.prune();
      return { counter: this.name, kind: "gap", expected, got: n, missing };
    }
    if (this.missing.delete(n)) {
      this.late++;
      return { counter: this.name, kind: "late", expected, got: n };
    }
    this.duplicates++;
    return { counter: this.name, kind: "duplicate", expected, got: n };
  }

  private prune(): void {
    const oldest = (this.highest ?? 0) - this.window;
    for (const m of this.missing) {
      if (m >= oldest && this.missing.size <= this.window) break;
      this.missing.delete(m);
    }
  }

  stats(): CounterStats {
    return {
      observed: this.observed,
      first: this.first,
      highest: this.highest,
      gaps: this.gaps,
      skipped: this.skipped,
      late: this.late,
      duplicates: this.duplicates,
      lost: this.skipped - this.late,
    };
  }
}

export interface StreamSequenceStats {
  sequenceNumber: CounterStats;
  /** Per media track ("inbound", "outbound"). */
  chunks: Record<string, CounterStats>;
}

/** Tracks `sequenceNumber` and per-track `media.chunk` over one stream's parsed messages. */
export class TwilioSequenceTracker {
  private readonly sequence: SequenceCounter;
  private readonly chunks = new Map<string, SequenceCounter>();

  constructor(private readonly window = DEFAULT_WINDOW) {
    this.sequence = new SequenceCounter("sequenceNumber", window);
  }

  /** Record one message; returns the anomalies it shows (none for an in-order frame). */
  observe(message: TwilioMessage): SequenceAnomaly[] {
    if (message.event === "connected") return [];
    const out: SequenceAnomaly[] = [];
    const seq = this.sequence.observe(Number(message.sequenceNumber));
    if (seq) out.push(seq);
    if (message.event === "media") {
      const name = message.media.track;
      let counter = this.chunks.get(name);
      if (!counter) this.chunks.set(name, (counter = new SequenceCounter(`chunk:${name}`, this.window)));
      const chunk = counter.observe(Number(message.media.chunk));
      if (chunk) out.push(chunk);
    }
    return out;
  }

  stats(): StreamSequenceStats {
    const chunks: Record<string, CounterStats> = {};
    for (const [name, counter] of this.chunks) chunks[name] = counter.stats();
    return { sequenceNumber: this.sequence.stats(), chunks };
  }
}
