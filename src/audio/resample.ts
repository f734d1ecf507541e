/**
 * Sample-rate conversion and channel down-mixing for 16-bit PCM.
 *
 * Speech providers and the telephony leg want 8, 16 or 24 kHz while uploads arrive at anything
 * from 8 to 48 kHz. Naive linear interpolation aliases badly when downsampling (energy above the
 * new Nyquist folds back into the speech band as audible whine), so this is a polyphase
 * windowed-sinc converter: a Kaiser-windowed ideal low-pass evaluated at the exact fractional
 * input position of each output sample. For a rational ratio up/down (after dividing by the GCD)
 * only `up` distinct fractional positions exist, so the filter taps are computed once per phase.
 *
 * Design (measured for 16 kHz -> 8 kHz): -0.8 dB at 3.4 kHz (top of the telephone band),
 * about -70 dB at the new Nyquist and below -80 dB from there up.
 */
import { setBounded } from "../lib/bounded-map";
import kernelModule from "./resample-kernel.wasm";

/** Sinc zero crossings on each side of the centre tap: the length/quality trade-off. */
const ZERO_CROSSINGS = 20;
/** The -6 dB point as a fraction of the lower of the two Nyquist frequencies. */
const CUTOFF = 0.9;
/** Kaiser window shape: ~70 dB side-lobe rejection. */
const KAISER_BETA = 7;
/**
 * Above this many phases (odd rate pairs such as 44101 -> 48000) positions are rounded to the
 * nearest 1/4096 of an input sample: timing jitter far below audibility, and a bounded table.
 */
const MAX_PHASES = 4096;

/** A conversion's filter, computed once per rate pair (see plans below). */
interface Plan {
  up: number;
  down: number;
  /** Taps before the output position (the window is centred on it). */
  half: number;
  taps: number;
  /**
   * Taps per phase row in `table`: `taps` rounded up to a multiple of 8, the padding zero (the SIMD kernel reads 8 at a
   * time).
   */
  stride: number;
  /** Whether every fractional position has its own phase (else positions are rounded, see MAX_PHASES). */
  exact: boolean;
  phases: number;
  /** An exact plan's step from one output to the next: whole input samples, and phases (of `up`) on top. */
  wholeStep: number;
  phaseStep: number;
  table: Float32Array;
}

/**
 * Filters by rate pair. A plan depends only on the two rates (constants, never request data), so
 * an isolate computes each once: for odd pairs the table is thousands of Bessel evaluations. A
 * deployment sees a handful of pairs; the bound only stops odd upload rates from growing it.
 */
const plans = new Map<string, Plan>();
const MAX_PLANS = 32;

function planFor(fromRate: number, toRate: number): Plan {
  const key = `${fromRate}:${toRate}`;
  let plan = plans.get(key);
  if (!plan) {
    const g = gcd(fromRate, toRate);
    const up = toRate / g;
    const down = fromRate / g;
    // Cut-off in cycles per *input* sample: below the input Nyquist when upsampling (removes the
    // spectral images), below the output Nyquist when downsampling (prevents aliasing).
    const fc = 0.5 * Math.min(1, up / down) * CUTOFF;
    const half = Math.ceil(ZERO_CROSSINGS / (2 * fc));
    const taps = 2 * half;
    const stride = Math.ceil(taps / 8) * 8;
    const exact = up <= MAX_PHASES;
    const phases = exact ? up : MAX_PHASES;
    const steps = { wholeStep: Math.floor(down / up), phaseStep: down % up };
    plan = { up, down, half, taps, stride, exact, phases, ...steps, table: phaseTable(phases, taps, stride, half, fc) };
    setBounded(plans, key, plan, MAX_PLANS);
  }
  return plan;
}

export function resample(samples: Int16Array, fromRate: number, toRate: number): Int16Array {
  return convert(samples, fromRate, toRate, simdKernel());
}

/**
 * resample with the plain JavaScript filter loop: what runs where WebAssembly SIMD is missing, and
 * the reference the SIMD kernel is tested against (src/audio/resample.test.ts).
 */
export function resampleScalar(samples: Int16Array, fromRate: number, toRate: number): Int16Array {
  return convert(samples, fromRate, toRate, null);
}

function convert(samples: Int16Array, fromRate: number, toRate: number, kernel: Kernel | null): Int16Array {
  for (const rate of [fromRate, toRate]) {
    if (!Number.isInteger(rate) || rate <= 0)
      throw new RangeError(`sample rate must be a positive integer, got ${rate}`);
  }
  if (fromRate === toRate) return samples; // identity: no filtering, no copy
  const plan = planFor(fromRate, toRate);
  return kernel ? filterSimd(samples, plan, kernel) : filterScalar(samples, plan);
}

function filterScalar(samples: Int16Array, plan: Plan): Int16Array {
  const { table, taps, stride } = plan;
  const n = samples.length;
  const out = new Int16Array(outputLength(n, plan));
  const cursor = startCursor();
  const pos = new Int32Array(CHUNK * 2);
  for (let k0 = 0; k0 < out.length; k0 += CHUNK) {
    const count = Math.min(CHUNK, out.length - k0);
    advance(plan, cursor, count, pos);
    for (let i = 0; i < count; i++) {
      const first = pos[2 * i]!;
      const offset = pos[2 * i + 1]! * stride;
      let acc = 0;
      // Outside the signal counts as silence; the clamps keep the inner loop free of bounds checks.
      const jStart = first < 0 ? -first : 0;
      const jEnd = first + taps > n ? n - first : taps;
      for (let j = jStart; j < jEnd; j++) acc += table[offset + j]! * samples[first + j]!;
      out[k0 + i] = acc >= 32767 ? 32767 : acc <= -32768 ? -32768 : Math.round(acc);
    }
  }
  return out;
}

function outputLength(n: number, plan: Plan): number {
  return Math.ceil((n * plan.up) / plan.down);
}

/**
 * Where the next output sample falls: `base` is the input sample at or before it, `phase` how far past it, in 1/phases
 * of a sample.
 */
interface Cursor {
  k: number;
  base: number;
  phase: number;
}

function startCursor(): Cursor {
  return { k: 0, base: 0, phase: 0 };
}

/**
 * Writes the next `count` outputs' positions into `into` as pairs: the first input sample of the
 * output's window (base - half + 1, negative at the start) and its phase. An exact plan steps by
 * the ratio in integers; otherwise each position is rounded to the nearest phase.
 */
function advance(plan: Plan, cursor: Cursor, count: number, into: Int32Array): void {
  const { up, down, exact, phases, half, wholeStep, phaseStep } = plan;
  let { k, base, phase } = cursor;
  for (let i = 0; i < count; i++, k++) {
    if (!exact) {
      const t = (k * down) / up;
      base = Math.floor(t);
      phase = Math.round((t - base) * phases);
      if (phase === phases) {
        base++;
        phase = 0;
      }
    }
    into[2 * i] = base - half + 1;
    into[2 * i + 1] = phase;
    if (exact) {
      base += wholeStep;
      phase += phaseStep;
      if (phase >= up) {
        phase -= up;
        base++;
      }
    }
  }
  cursor.k = k;
  cursor.base = base;
  cursor.phase = phase;
}

/** Where an exact plan's cursor is `steps` outputs on: advance's stepping, in closed form. */
function stepped(plan: Plan, cursor: Cursor, steps: number): Cursor {
  const phases = cursor.phase + steps * plan.phaseStep;
  return {
    k: cursor.k + steps,
    base: cursor.base + steps * plan.wholeStep + Math.floor(phases / plan.up),
    phase: phases % plan.up,
  };
}

/** Output samples per kernel call: bounds the kernel's memory whatever the length of the audio. */
const CHUNK = 8192;

interface Kernel {
  memory: WebAssembly.Memory;
  /** Outputs at positions written by the caller (any plan). */
  filter(count: number, positions: number, out: number, pairs: number): void;
  /** Outputs of an exact plan, stepped in the kernel. */
  filterSteps(
    count: number,
    input: number,
    phase: number,
    up: number,
    phaseStep: number,
    wholeBytes: number,
    table: number,
    strideBytes: number,
    out: number,
    pairs: number,
  ): void;
}

/**
 * The SIMD kernel, instantiated once per isolate (it holds no audio between calls: filterSimd
 * zeroes what it wrote). null where WebAssembly SIMD is unavailable: the scalar loop then runs.
 */
let kernel: Kernel | null | undefined;
/** The kernel's memory, once instantiated (tests check a call leaves no audio in it). */
export function kernelMemory(): ArrayBuffer | undefined {
  return kernel?.memory.buffer;
}

function simdKernel(): Kernel | null {
  if (kernel === undefined) {
    try {
      const instance = new WebAssembly.Instance(kernelModule, {});
      kernel = instance.exports as unknown as Kernel;
    } catch {
      kernel = null;
    }
  }
  return kernel;
}

/**
 * The same filter with its dot products in WebAssembly SIMD (resample-kernel.wat), 4× faster
 * than the scalar loop in workerd (`npm run bench:inprocess` times both). Sums are in float32 (the
 * scalar loop's in float64), so an output sample may differ from the scalar one by one step.
 *
 * Works in chunks of CHUNK outputs. For each: the input samples the chunk reads are copied in as
 * float32 (zero outside the signal, as the scalar loop treats it), the kernel runs, and its outputs
 * are copied out. An exact plan (every usual rate pair) hands the kernel its first position and
 * step, and the kernel steps; otherwise each output's position is written for it as byte offsets
 * (input window, filter phase).
 */
function filterSimd(samples: Int16Array, plan: Plan, k: Kernel): Int16Array {
  const { stride } = plan;
  const n = samples.length;
  const out = new Int16Array(outputLength(n, plan));
  const tableAt = 0;
  const positionsAt = align16(plan.table.byteLength);
  const outAt = positionsAt + CHUNK * 8;
  const inputAt = outAt + CHUNK * 2;
  // The most input one chunk reads: its span of positions, plus one window of taps.
  const inputMax = Math.ceil((CHUNK * plan.down) / plan.up) + stride + 2;
  const needed = inputAt + inputMax * 4;
  if (k.memory.buffer.byteLength < needed) k.memory.grow(Math.ceil((needed - k.memory.buffer.byteLength) / 65536));
  const buffer = k.memory.buffer;
  new Float32Array(buffer, tableAt, plan.table.length).set(plan.table);
  const pos = new Int32Array(buffer, positionsAt, CHUNK * 2);
  let cursor = startCursor();
  const pairs = stride / 8;
  try {
    for (let k0 = 0; k0 < out.length; k0 += CHUNK) {
      const count = Math.min(CHUNK, out.length - k0);
      // Positions never move backwards, so the chunk reads from its first output's window start
      // (lo) to its last one's end (hi).
      let lo: number;
      let hi: number;
      let run: () => void;
      if (plan.exact) {
        // The kernel steps the positions itself: no position is written or read in JavaScript.
        const { base, phase } = cursor;
        lo = base - plan.half + 1;
        hi = stepped(plan, cursor, count - 1).base - plan.half + 1 + stride;
        run = () =>
          k.filterSteps(
            count,
            inputAt,
            phase,
            plan.up,
            plan.phaseStep,
            plan.wholeStep * 4,
            tableAt,
            stride * 4,
            outAt,
            pairs,
          );
        cursor = stepped(plan, cursor, count);
      } else {
        advance(plan, cursor, count, pos);
        lo = pos[0]!;
        hi = pos[2 * (count - 1)]! + stride;
        for (let i = 0; i < count; i++) {
          pos[2 * i] = inputAt + (pos[2 * i]! - lo) * 4;
          pos[2 * i + 1] = tableAt + pos[2 * i + 1]! * stride * 4;
        }
        run = () => k.filter(count, positionsAt, outAt, pairs);
      }
      const input = new Float32Array(buffer, inputAt, hi - lo);
      input.fill(0);
      // A typed-array copy converts each int16 to float32 natively.
      if (lo < n && hi > 0) input.set(samples.subarray(Math.max(0, lo), Math.min(n, hi)), Math.max(0, lo) - lo);
      run();
      out.set(new Int16Array(buffer, outAt, count), k0);
    }
  } finally {
    // The caller's audio does not stay in the isolate's memory after the call.
    new Uint8Array(buffer, outAt, CHUNK * 2 + inputMax * 4).fill(0);
  }
  return out;
}

function align16(bytes: number): number {
  return Math.ceil(bytes / 16) * 16;
}

/**
 * Row p holds the taps for an output that falls p/phases of the way between two input samples (row length `stride`,
 * zero-padded).
 */
function phaseTable(phases: number, taps: number, stride: number, half: number, fc: number): Float32Array {
  const table = new Float32Array(phases * stride);
  const i0Beta = besselI0(KAISER_BETA);
  for (let p = 0; p < phases; p++) {
    const frac = p / phases;
    let sum = 0;
    for (let j = 0; j < taps; j++) {
      const x = j - half + 1 - frac; // distance from the output position, in input samples
      const r = x / half;
      const window = Math.abs(r) >= 1 ? 0 : besselI0(KAISER_BETA * Math.sqrt(1 - r * r)) / i0Beta;
      const h = 2 * fc * sinc(2 * fc * x) * window;
      table[p * stride + j] = h;
      sum += h;
    }
    // Unity gain at DC for every phase, so a constant signal stays constant (no phase-dependent ripple).
    for (let j = 0; j < taps; j++) table[p * stride + j] = table[p * stride + j]! / sum;
  }
  return table;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = Math.PI * x;
  return Math.sin(px) / px;
}

/** Modified Bessel function of the first kind, order 0 (power series; converges fast for beta < 20). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 50; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * Averages interleaved channels into one. Averaging (rather than summing) cannot clip; a channel
 * that is silent costs 6 dB of level, which speech recognition does not mind.
 */
export function downmixToMono(interleaved: Int16Array, channels: number): Int16Array {
  if (!Number.isInteger(channels) || channels < 1)
    throw new RangeError(`channel count must be a positive integer, got ${channels}`);
  if (channels === 1) return interleaved;
  const frames = Math.floor(interleaved.length / channels);
  const out = new Int16Array(frames);
  for (let f = 0, i = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += interleaved[i++]!;
    out[f] = Math.round(sum / channels);
  }
  return out;
}
