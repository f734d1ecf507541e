/**
 * Streaming voice activity detection and endpointing for the live call stream: decides, as caller
 * audio arrives in frames of any size, when the caller starts speaking (barge-in, `speech_started`)
 * and when their turn is over (the utterance goes to speech-to-text).
 *
 * Energy-based, on 10 ms analysis frames (samples carried over between push() calls, so the result
 * does not depend on how the audio was framed). A frame is active when its RMS level, after
 * removing the frame's DC offset, reaches the effective threshold:
 *   - thresholdDbfs, or
 *   - NOISE_MARGIN_DB above the noise floor, if that is higher. The floor is the quietest 100 ms
 *     block of the last 3 s (minimum statistics: speech always has pauses within 3 s, so the
 *     minimum is the background). This keeps a line whose steady noise is above thresholdDbfs
 *     from being one endless utterance: once 3 s of it have been heard, it no longer counts.
 *     Until 3 s of audio have been heard, only thresholdDbfs applies.
 *
 * State machine:
 *   idle      → an active frame opens a candidate; the last preRollMs are kept meanwhile.
 *   candidate → confirmed as speech once it holds minSpeechMs of active frames (speech_started,
 *               atMs = its first active frame); dropped after a gap longer than ONSET_GAP_MS, so
 *               clicks and pops shorter than minSpeechMs never start speech.
 *   speech    → ends after endSilenceMs without an active frame (speech_ended, atMs = the end of
 *               the last active frame: the event itself comes endSilenceMs later), or when its
 *               speech has lasted maxUtteranceMs (cut there; if the caller keeps talking, the next
 *               utterance starts at the cut and is confirmed minSpeechMs later).
 *
 * Time is counted in samples since the endpointer was created, so results are deterministic, and
 * reported in whole milliseconds. Timing resolution is one frame (10 ms).
 */

export interface EndpointerOptions {
  sampleRate: number;
  /** Frames at least this loud (RMS, dBFS) are speech, unless the noise floor demands more. */
  thresholdDbfs: number;
  /** Active audio needed before speech_started. */
  minSpeechMs: number;
  /** Silence that ends an utterance. */
  endSilenceMs: number;
  /** Audio kept before the first active frame (soft onsets, for speech-to-text). Default 200. */
  preRollMs?: number;
  /** Longest utterance, from the start of speech to its last active frame; it is cut there. Default 30000. */
  maxUtteranceMs?: number;
}

export type EndpointEvent =
  | { type: "speech_started"; atMs: number }
  | {
      type: "speech_ended";
      /** Where speech stopped: the end of the last active frame (for max_length, the cut). */
      atMs: number;
      /** The utterance: pre-roll, speech, and at most TRAILING_KEEP_MS of the silence after it. */
      audio: Int16Array;
      /** Stream time of audio[0]. */
      audioStartMs: number;
      /** silence: endSilenceMs of silence; max_length: maxUtteranceMs reached; flush: flush() called. */
      reason: "silence" | "max_length" | "flush";
    };

const FRAME_MS = 10;
/** A candidate survives gaps up to this long (stop closures, the gap of a plosive); longer, and it was a click. */
const ONSET_GAP_MS = 40;
/** Silence kept after the speech in speech_ended's audio: recognisers like a short tail, not the whole endSilenceMs. */
const TRAILING_KEEP_MS = 100;
/** Noise floor: minimum over NOISE_BLOCKS blocks of NOISE_BLOCK_MS. */
const NOISE_BLOCK_MS = 100;
const NOISE_BLOCKS = 30;
/** Speech must be this much louder than the noise floor (the floor is a minimum, below the noise's average level). */
const NOISE_MARGIN_DB = 10;
const SILENT_DBFS = -120;

type State = "idle" | "candidate" | "speech";

export class Endpointer {
  readonly sampleRate: number;
  private readonly frameLength: number;
  private readonly thresholdDbfs: number;
  private readonly minSpeechFrames: number;
  private endSilenceFrames: number;
  private readonly preRollFrames: number;
  private readonly maxUtteranceFrames: number;
  private readonly onsetGapFrames: number;
  private readonly trailingKeepFrames: number;
  private readonly noiseBlockFrames: number;

  private pending: Int16Array;
  private pendingLength = 0;
  /** Stream sample index of pending[0]. */
  private frameStart = 0;

  private state: State = "idle";
  /** idle/candidate: the last frames (pre-roll, then the candidate); speech: the utterance. */
  private frames: Int16Array[] = [];
  /** Stream sample index of frames[0]. */
  private framesStart = 0;
  /** Index in `frames` of the first active frame of the candidate / utterance. */
  private speechIndex = 0;
  private activeFrames = 0;
  /** Index in `frames` just after the last active frame. */
  private lastActiveEnd = 0;
  private inactiveRun = 0;

  private blockMinimum = Infinity;
  private blockFrames = 0;
  private blockMinima: number[] = [];

  constructor(options: EndpointerOptions) {
    const { sampleRate, thresholdDbfs, minSpeechMs, endSilenceMs, preRollMs = 200, maxUtteranceMs = 30000 } = options;
    if (!Number.isInteger(sampleRate) || sampleRate < 1000)
      throw new RangeError(`sample rate must be an integer of at least 1000 Hz, got ${sampleRate}`);
    if (!Number.isFinite(thresholdDbfs)) throw new RangeError(`thresholdDbfs must be a number, got ${thresholdDbfs}`);
    for (const [name, value] of Object.entries({ minSpeechMs, endSilenceMs, preRollMs, maxUtteranceMs })) {
      if (!Number.isFinite(value) || value < 0)
        throw new RangeError(`${name} must be a non-negative number of ms, got ${value}`);
    }
    if (maxUtteranceMs < minSpeechMs)
      throw new RangeError(`maxUtteranceMs (${maxUtteranceMs}) must be at least minSpeechMs (${minSpeechMs})`);
    this.sampleRate = sampleRate;
    this.frameLength = Math.round((sampleRate * FRAME_MS) / 1000);
    this.thresholdDbfs = thresholdDbfs;
    const frames = (ms: number): number => Math.ceil(ms / FRAME_MS);
    this.minSpeechFrames = Math.max(1, frames(minSpeechMs));
    this.endSilenceFrames = Math.max(1, frames(endSilenceMs));
    this.preRollFrames = frames(preRollMs);
    this.maxUtteranceFrames = Math.max(this.minSpeechFrames, frames(maxUtteranceMs));
    this.onsetGapFrames = frames(ONSET_GAP_MS);
    this.trailingKeepFrames = Math.min(frames(TRAILING_KEEP_MS), this.endSilenceFrames);
    this.noiseBlockFrames = frames(NOISE_BLOCK_MS);
    this.pending = new Int16Array(this.frameLength);
  }

  /** Feeds caller audio (any number of samples); returns what happened, in order. */
  push(samples: Int16Array): EndpointEvent[] {
    const events: EndpointEvent[] = [];
    let i = 0;
    while (i < samples.length) {
      const take = Math.min(this.frameLength - this.pendingLength, samples.length - i);
      this.pending.set(samples.subarray(i, i + take), this.pendingLength);
      this.pendingLength += take;
      i += take;
      if (this.pendingLength === this.frameLength) {
        const frame = this.pending;
        this.pending = new Int16Array(this.frameLength);
        this.pendingLength = 0;
        this.processFrame(frame, events);
        this.frameStart += this.frameLength;
      }
    }
    return events;
  }

  /** End of the stream: ends an utterance in progress (reason "flush"). A partial 10 ms frame is ignored. */
  flush(): EndpointEvent[] {
    if (this.state !== "speech") return [];
    const events: EndpointEvent[] = [];
    this.endUtterance("flush", events);
    return events;
  }

  /**
   * Forgets any utterance or candidate in progress, the pre-roll and a partial frame, without an
   * event. The clock keeps running (later events stay on the stream's timeline) and the noise
   * floor is kept (it belongs to the line, not the utterance).
   */
  reset(): void {
    this.frameStart += this.pendingLength;
    this.pendingLength = 0;
    this.toIdle([], this.frameStart);
  }

  /**
   * Changes the silence that ends an utterance, from the next frame on (the one in progress
   * included): a live stream whose streaming recogniser failed falls back from its long safety net
   * to the caller's own endSilenceMs.
   */
  setEndSilenceMs(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0)
      throw new RangeError(`endSilenceMs must be a non-negative number of ms, got ${ms}`);
    this.endSilenceFrames = Math.max(1, Math.ceil(ms / FRAME_MS));
  }

  /** True between speech_started and speech_ended. */
  get speaking(): boolean {
    return this.state === "speech";
  }

  /** The current noise floor estimate in dBFS, or null before 3 s of audio. */
  get noiseFloorDbfs(): number | null {
    return this.blockMinima.length < NOISE_BLOCKS ? null : Math.min(...this.blockMinima);
  }

  private processFrame(frame: Int16Array, events: EndpointEvent[]): void {
    const level = levelDbfs(frame);
    const floor = this.noiseFloorDbfs;
    const threshold = floor === null ? this.thresholdDbfs : Math.max(this.thresholdDbfs, floor + NOISE_MARGIN_DB);
    const active = level >= threshold;
    this.trackNoise(level);

    this.frames.push(frame);
    const index = this.frames.length - 1;
    if (this.state === "idle") {
      if (active) {
        this.state = "candidate";
        this.speechIndex = index;
        this.activeFrames = 0;
      } else {
        if (this.frames.length > this.preRollFrames) this.dropOldest(this.frames.length - this.preRollFrames);
        return;
      }
    }

    if (active) {
      this.activeFrames++;
      this.lastActiveEnd = index + 1;
      this.inactiveRun = 0;
    } else {
      this.inactiveRun++;
    }

    if (this.state === "candidate") {
      if (this.inactiveRun > this.onsetGapFrames) {
        // A click, not speech: back to idle, keeping the pre-roll.
        this.state = "idle";
        this.dropOldest(Math.max(0, this.frames.length - this.preRollFrames));
      } else if (this.activeFrames >= this.minSpeechFrames) {
        this.state = "speech";
        // The utterance starts preRollFrames before the speech.
        this.dropOldest(Math.max(0, this.speechIndex - this.preRollFrames));
        events.push({ type: "speech_started", atMs: this.ms(this.framesStart + this.speechIndex * this.frameLength) });
      }
      return;
    }

    // Speech.
    if (this.inactiveRun >= this.endSilenceFrames) this.endUtterance("silence", events);
    // Counted to the last active frame: in a pause the turn is about to end anyway, within endSilenceMs.
    else if (this.lastActiveEnd - this.speechIndex >= this.maxUtteranceFrames) this.endUtterance("max_length", events);
  }

  private endUtterance(reason: "silence" | "max_length" | "flush", events: EndpointEvent[]): void {
    // max_length is only decided on an active frame, so there is no trailing silence to trim then.
    const speechEnd = this.lastActiveEnd;
    const end = Math.min(this.frames.length, speechEnd + this.trailingKeepFrames);
    const audio = new Int16Array(end * this.frameLength);
    for (let f = 0; f < end; f++) audio.set(this.frames[f]!, f * this.frameLength);
    events.push({
      type: "speech_ended",
      atMs: this.ms(this.framesStart + speechEnd * this.frameLength),
      audio,
      audioStartMs: this.ms(this.framesStart),
      reason,
    });
    // The silence after the speech can be the next utterance's pre-roll.
    const keep = this.frames.slice(Math.max(speechEnd, this.frames.length - this.preRollFrames));
    this.toIdle(keep, this.framesStart + (this.frames.length - keep.length) * this.frameLength);
  }

  private toIdle(frames: Int16Array[], start: number): void {
    this.state = "idle";
    this.frames = frames;
    this.framesStart = start;
    this.speechIndex = 0;
    this.activeFrames = 0;
    this.lastActiveEnd = 0;
    this.inactiveRun = 0;
  }

  private dropOldest(count: number): void {
    if (count <= 0) return;
    this.frames.splice(0, count);
    this.framesStart += count * this.frameLength;
    this.speechIndex -= count;
    this.lastActiveEnd = Math.max(0, this.lastActiveEnd - count);
  }

  private trackNoise(level: number): void {
    this.blockMinimum = Math.min(this.blockMinimum, level);
    if (++this.blockFrames < this.noiseBlockFrames) return;
    this.blockMinima.push(this.blockMinimum);
    if (this.blockMinima.length > NOISE_BLOCKS) this.blockMinima.shift();
    this.blockMinimum = Infinity;
    this.blockFrames = 0;
  }

  private ms(sample: number): number {
    return Math.round((sample * 1000) / this.sampleRate);
  }
}

/** RMS level of the frame around its mean (a DC offset on the line is not speech), in dBFS. */
function levelDbfs(frame: Int16Array): number {
  let sum = 0;
  for (let i = 0; i < frame.length; i++) sum += frame[i]!;
  const mean = sum / frame.length;
  let energy = 0;
  for (let i = 0; i < frame.length; i++) {
    const d = frame[i]! - mean;
    energy += d * d;
  }
  const rms = Math.sqrt(energy / frame.length) / 32768;
  return rms > 0 ? Math.max(SILENT_DBFS, 20 * Math.log10(rms)) : SILENT_DBFS;
}
