/**
 * Audio plumbing of the streaming recognisers (stt-socket.ts): the caller's PCM arrives in small
 * chunks at its own rate, and the provider's socket was opened at another (16 kHz).
 *
 * `resample` (src/audio/resample.ts) converts a whole signal and treats everything outside it as
 * silence, so calling it on each 20 ms chunk on its own would fade every chunk's edges (a buzz at
 * the chunk rate) and, for rate pairs that do not divide the chunk, round each chunk's length up.
 * ChunkResampler keeps a little input history and look-ahead instead: each output sample is taken
 * from a call whose input covers its whole filter window, so the chunked output is the output of
 * one call over the whole signal, at a latency of MARGIN input samples.
 */
import { resample } from "../audio/resample";

/**
 * Input samples either side of an output position its filter reads. The filter in resample.ts has
 * 20 zero crossings at 0.9 of the lower Nyquist: about 23 taps a side at 16 kHz, scaled by the
 * ratio when downsampling. 32 (scaled alike) leaves room should that filter grow a little.
 */
const MARGIN_TAPS = 32;

export class ChunkResampler {
  private readonly up: number;
  private readonly down: number;
  private readonly margin: number;
  /** Input not yet dropped, and the absolute index of its first sample. */
  private input = new Int16Array(0);
  private inputStart = 0;
  /** The absolute index of the next output sample to hand out. */
  private nextOut = 0;

  constructor(
    private readonly fromRate: number,
    private readonly toRate: number,
  ) {
    const g = gcd(fromRate, toRate);
    this.up = toRate / g;
    this.down = fromRate / g;
    this.margin = Math.ceil(MARGIN_TAPS * Math.max(1, this.down / this.up));
  }

  /** The output samples this chunk completes (none yet for a very short first chunk). */
  push(chunk: Int16Array): Int16Array {
    if (this.fromRate === this.toRate) return chunk;
    const joined = new Int16Array(this.input.length + chunk.length);
    joined.set(this.input);
    joined.set(chunk, this.input.length);
    this.input = joined;
    const end = this.inputStart + this.input.length;
    // Output k sits at input position k*down/up and needs MARGIN samples after it.
    const ready = end - 1 - this.margin < 0 ? 0 : Math.floor(((end - 1 - this.margin) * this.up) / this.down) + 1;
    return this.take(ready);
  }

  /** What is left, with silence after the last input (as one whole-signal call would treat it). */
  flush(): Int16Array {
    if (this.fromRate === this.toRate) return new Int16Array(0);
    const end = this.inputStart + this.input.length;
    return this.take(Math.ceil((end * this.up) / this.down));
  }

  private take(until: number): Int16Array {
    if (until <= this.nextOut) return new Int16Array(0);
    // Start on a multiple of `down`, so the call's first output is a whole output index.
    const start = this.alignedStart(this.nextOut);
    const part = resample(this.input.subarray(start - this.inputStart), this.fromRate, this.toRate);
    const first = (start / this.down) * this.up;
    const out = part.slice(this.nextOut - first, until - first);
    this.nextOut = until;
    // Keep only what the next outputs' windows reach back to.
    const keepFrom = this.alignedStart(this.nextOut);
    this.input = this.input.slice(keepFrom - this.inputStart);
    this.inputStart = keepFrom;
    return out;
  }

  /** The aligned input index at or before output k's window (0 at the signal's start: silence before it). */
  private alignedStart(k: number): number {
    const first = Math.floor((k * this.down) / this.up) - this.margin;
    return first <= 0 ? 0 : Math.max(this.inputStart, Math.floor(first / this.down) * this.down);
  }
}

/**
 * Groups audio into the frame sizes a provider takes (AssemblyAI: 50 to 1000 ms per message).
 * With no minimum, every chunk passes as it is.
 */
export class Framer {
  private pending = new Int16Array(0);

  constructor(
    private readonly min = 0,
    private readonly max = Infinity,
  ) {}

  push(samples: Int16Array): Int16Array[] {
    if (this.min === 0 && this.max === Infinity) return samples.length ? [samples] : [];
    const joined = new Int16Array(this.pending.length + samples.length);
    joined.set(this.pending);
    joined.set(samples, this.pending.length);
    const frames: Int16Array[] = [];
    let at = 0;
    while (joined.length - at >= this.min && joined.length - at > 0) {
      let size = Math.min(this.max, joined.length - at);
      // Never leave a tail shorter than the minimum behind a full frame: split the rest evenly instead.
      const rest = joined.length - at - size;
      if (rest > 0 && rest < this.min) size = Math.ceil((joined.length - at) / 2);
      frames.push(joined.slice(at, at + size));
      at += size;
    }
    this.pending = joined.slice(at);
    return frames;
  }

  /** The rest, padded with silence up to the minimum (a shorter frame would be refused). */
  flush(): Int16Array[] {
    if (!this.pending.length) return [];
    const frame = new Int16Array(Math.max(this.min, this.pending.length));
    frame.set(this.pending);
    this.pending = new Int16Array(0);
    return [frame];
  }
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}
