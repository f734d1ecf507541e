/**
 * Keypad tones in a live stream: the caller's audio arrives in frames of any size, and each key
 * press should be reported once, as soon as it is certain, with no need to wait for the call to end.
 *
 * The detection itself is src/audio/dtmf.ts's detectDtmf (block decisions, twist and harmonic
 * checks, the 35 ms minimum and the 20 ms debouncing all live there). This module runs it over a
 * sliding window of the last WINDOW_MS of audio every STEP_MS of audio, at fixed positions on the
 * stream's sample clock, so the result does not depend on how the audio was framed. A window can
 * show a press again and again (or only part of it, at its leading edge): presses are tracked by
 * their position on the stream clock, and a detection that overlaps a known press of the same key
 * (or resumes it within MIN_PAUSE_MS, as detectDtmf's debouncing does) only extends it.
 *
 * A press is reported as soon as a window holds enough of it for detectDtmf to accept it (35 ms):
 * in practice 40-60 ms after the key goes down, however long it is held.
 *
 * Memory is one window of samples (a fixed buffer) and a few recent presses. CPU: detectDtmf over
 * the whole window would analyse every sample WINDOW_MS / STEP_MS = 6 times, so a cheap gate runs
 * first: the window is analysed only when the newest step, or the one before it, looks like a key
 * (two of the eight DTMF tones carry a good share of its energy, a much looser test than
 * detectDtmf's). A 35 ms tone fills most of some step, so it opens the gate, and the analysis one
 * step later sees it whole; speech and silence mostly stop at the gate (2% of speech steps pass).
 */
import { detectDtmf } from "./dtmf";
import { type GoertzelFilter, goertzelFilter, goertzelPower } from "./goertzel";

export interface DtmfDigit {
  digit: string;
  /** When the key went down, ms since the listener started. */
  atMs: number;
}

/** Audio between two analyses. */
const STEP_MS = 20;
/**
 * Audio analysed each time. Must hold a whole tone (35-40 ms, the longest that must be seen whole
 * before it is reported) plus two steps and a block of margin on each side, so that every press is
 * seen whole by some window before it slides out.
 */
const WINDOW_MS = 120;
/** As in dtmf.ts: the same key resuming after a shorter interruption is the same press. */
const MIN_PAUSE_MS = 20;
/** detectDtmf's analysis block (12.75 ms) and its half-block hop, as computed in dtmf.ts. */
const BLOCK_SECONDS = 0.01275;
/**
 * Gate: the strongest row and column tones of the newest step must carry this share of its energy
 * (detectDtmf asks 0.6 per block; a step half filled by a starting tone still scores ~0.5).
 */
const GATE_SHARE = 0.3;
/** Gate: and each be at least this loud, dBFS (detectDtmf asks -38 dB per tone). */
const GATE_MIN_TONE_DBFS = -44;
/** ITU-T Q.23 frequencies (the gate's; the detector has its own). */
const ROW_HZ = [697, 770, 852, 941];
const COL_HZ = [1209, 1336, 1477, 1633];
const FULL_SCALE_SINE_POWER = (32768 * 32768) / 2;
/** Presses older than this before the window are forgotten. */
const MEMORY_MS = 1000;

interface Press {
  digit: string;
  /** Stream times, ms (fractional). */
  start: number;
  end: number;
}

export class DtmfListener {
  readonly sampleRate: number;
  private readonly step: number;
  private readonly window: number;
  private readonly hop: number;
  private readonly buffer: Int16Array;
  /** Stream sample index of buffer[0]. */
  private bufferStart = 0;
  private bufferLength = 0;
  /** Stream sample index of the next analysis. */
  private nextAnalysis: number;
  private presses: Press[] = [];
  private gateWasOpen = false;
  private readonly rows: GoertzelFilter[];
  private readonly cols: GoertzelFilter[];

  constructor(sampleRate: number) {
    if (!Number.isInteger(sampleRate) || sampleRate < 8000)
      throw new RangeError(`DTMF detection needs an integer sample rate of at least 8000 Hz, got ${sampleRate}`);
    this.sampleRate = sampleRate;
    this.step = Math.round((sampleRate * STEP_MS) / 1000);
    this.window = Math.round((sampleRate * WINDOW_MS) / 1000);
    // Windows start on multiples of detectDtmf's hop, so every analysis puts its blocks at the same
    // stream positions and a given stretch of audio gets the same block decisions each time.
    this.hop = Math.max(1, Math.round(sampleRate * BLOCK_SECONDS) >> 1);
    this.buffer = new Int16Array(this.window + this.hop);
    this.nextAnalysis = this.step;
    this.rows = ROW_HZ.map((f) => goertzelFilter(f, sampleRate));
    this.cols = COL_HZ.map((f) => goertzelFilter(f, sampleRate));
  }

  /** Feeds caller audio (any number of samples); returns the key presses that became certain, in order. */
  push(samples: Int16Array): DtmfDigit[] {
    const found: DtmfDigit[] = [];
    let i = 0;
    while (i < samples.length) {
      const end = this.bufferStart + this.bufferLength;
      const take = Math.min(this.nextAnalysis - end, samples.length - i);
      this.buffer.set(samples.subarray(i, i + take), this.bufferLength);
      this.bufferLength += take;
      i += take;
      if (this.bufferStart + this.bufferLength === this.nextAnalysis) {
        // Also one step after the gate closes: a tone that only grazed the newest step (its last few
        // ms) was not yet whole in the previous window.
        const open = this.mayHoldKey(this.bufferLength - this.step, this.step);
        if (open || this.gateWasOpen) this.analyse(found);
        this.gateWasOpen = open;
        this.nextAnalysis += this.step;
        this.trim();
      }
    }
    return found;
  }

  /** End of the stream: analyses the audio since the last analysis (a press that ended in it). */
  flush(): DtmfDigit[] {
    const found: DtmfDigit[] = [];
    this.analyse(found);
    return found;
  }

  private analyse(found: DtmfDigit[]): void {
    const startMs = (this.bufferStart * 1000) / this.sampleRate;
    const { events } = detectDtmf(this.buffer.subarray(0, this.bufferLength), this.sampleRate);
    for (const e of events) {
      const start = startMs + e.startMs;
      const end = startMs + e.endMs;
      const known = this.presses.find(
        (p) => p.digit === e.digit && start < p.end + MIN_PAUSE_MS && end > p.start - MIN_PAUSE_MS,
      );
      if (known) {
        known.end = Math.max(known.end, end);
        continue;
      }
      this.presses.push({ digit: e.digit, start, end });
      found.push({ digit: e.digit, atMs: Math.round(start) });
    }
    this.presses = this.presses.filter((p) => p.end >= startMs - MEMORY_MS);
  }

  /** The gate: could buffer[start, start + length) be (part of) a key press? */
  private mayHoldKey(start: number, length: number): boolean {
    let sum = 0;
    for (let i = start; i < start + length; i++) sum += this.buffer[i]!;
    const mean = sum / length;
    let energy = 0;
    for (let i = start; i < start + length; i++) energy += (this.buffer[i]! - mean) ** 2;
    const minTone = FULL_SCALE_SINE_POWER * 10 ** (GATE_MIN_TONE_DBFS / 10);
    if (energy / length < 2 * minTone) return false;
    const scale = 2 / (length * length); // |X|² → mean-square power of the sinusoid
    const strongest = (filters: GoertzelFilter[]): number =>
      Math.max(...filters.map((f) => goertzelPower(this.buffer, start, length, mean, f) * scale));
    const row = strongest(this.rows);
    const col = strongest(this.cols);
    return row >= minTone && col >= minTone && row + col >= GATE_SHARE * (energy / length);
  }

  /** Drops the samples the next window no longer needs. */
  private trim(): void {
    const keepFrom = Math.floor(Math.max(0, this.nextAnalysis - this.window) / this.hop) * this.hop;
    const drop = keepFrom - this.bufferStart;
    if (drop <= 0) return;
    this.buffer.copyWithin(0, drop, this.bufferLength);
    this.bufferLength -= drop;
    this.bufferStart = keepFrom;
  }
}
