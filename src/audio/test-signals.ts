/**
 * Signal and file builders shared by the audio tests (not used by production code). Tests build
 * their inputs from first principles (sine formulas, RIFF chunk bytes) so that a bug in the code
 * under test cannot also be hidden inside the fixture that checks it.
 */

export function sine(frequency: number, sampleRate: number, ms: number, amplitude = 10000, phase = 0): Float64Array {
  const n = Math.round((sampleRate * ms) / 1000);
  return Float64Array.from(
    { length: n },
    (_, i) => amplitude * Math.sin((2 * Math.PI * frequency * i) / sampleRate + phase),
  );
}

const ROWS = [697, 770, 852, 941];
const COLS = [1209, 1336, 1477, 1633];
export const KEYS = "123A456B789C*0#D";

/** A keypad tone; `lowDb`/`highDb` are each tone's level relative to a full-scale sine. */
export function keyTone(
  key: string,
  sampleRate: number,
  ms: number,
  lowDb = -12,
  highDb = -12,
  detuneRatio = 1,
): Float64Array {
  const i = KEYS.indexOf(key);
  if (i < 0) throw new Error(`not a DTMF key: ${key}`);
  const low = sine(ROWS[i >> 2]! * detuneRatio, sampleRate, ms, 32767 * 10 ** (lowDb / 20), 0.4);
  const high = sine(COLS[i & 3]! * detuneRatio, sampleRate, ms, 32767 * 10 ** (highDb / 20), 1.9);
  return low.map((v, k) => v + high[k]!);
}

export function silence(sampleRate: number, ms: number): Float64Array {
  return new Float64Array(Math.round((sampleRate * ms) / 1000));
}

export function concat(...parts: Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Adds Gaussian white noise at `snrDb` below the power of `reference` (deterministic: seeded). */
export function withNoise(signal: Float64Array, referencePower: number, snrDb: number, seed = 7): Float64Array {
  let state = seed;
  const uniform = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 1) / 4294967297;
  };
  const sd = Math.sqrt(referencePower / 10 ** (snrDb / 10));
  return signal.map((v) => v + sd * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()));
}

export function toInt16(signal: Float64Array): Int16Array {
  return Int16Array.from(signal, (v) => Math.max(-32768, Math.min(32767, Math.round(v))));
}

export function power(x: ArrayLike<number>, from = 0, to = x.length): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += x[i]! * x[i]!;
  return sum / (to - from);
}

/** Signal-to-error ratio of `actual` against `expected` over [from, to), in dB. */
export function snrDb(
  expected: ArrayLike<number>,
  actual: ArrayLike<number>,
  from = 0,
  to = Math.min(expected.length, actual.length),
): number {
  let signal = 0;
  let error = 0;
  for (let i = from; i < to; i++) {
    signal += expected[i]! ** 2;
    error += (expected[i]! - actual[i]!) ** 2;
  }
  return 10 * Math.log10(signal / error);
}

export function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

export function bytes(...parts: (Uint8Array | number[])[]): Uint8Array {
  const arrays = parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p)));
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

export function u16le(v: number): number[] {
  return [v & 0xff, (v >> 8) & 0xff];
}

export function u32le(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

/**
 * One RIFF chunk; `size` overrides the declared size (to forge truncated or streaming files). Odd bodies get their pad
 * byte.
 */
export function chunk(id: string, body: Uint8Array | number[], size?: number): Uint8Array {
  const b = body instanceof Uint8Array ? body : Uint8Array.from(body);
  return bytes(ascii(id), u32le(size ?? b.length), b, b.length & 1 ? [0] : []);
}

export interface FmtFields {
  tag: number;
  channels: number;
  sampleRate: number;
  bits: number;
  /** For tag 0xFFFE: the sub-format GUID's first field, and optionally a non-standard GUID tail. */
  subformat?: number;
  guidTail?: number[];
}

export function fmtChunk(f: FmtFields): Uint8Array {
  const blockAlign = (f.channels * f.bits) / 8;
  const common = [
    ...u16le(f.tag),
    ...u16le(f.channels),
    ...u32le(f.sampleRate),
    ...u32le(f.sampleRate * blockAlign),
    ...u16le(blockAlign),
    ...u16le(f.bits),
  ];
  if (f.tag !== 0xfffe) return chunk("fmt ", common);
  const tail = f.guidTail ?? [0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];
  // cbSize 22, valid bits, channel mask, SubFormat GUID (Data1 little-endian, then the fixed tail).
  return chunk("fmt ", [
    ...common,
    ...u16le(22),
    ...u16le(f.bits),
    ...u32le(f.channels === 2 ? 3 : 4),
    ...u32le(f.subformat ?? 1),
    ...tail,
  ]);
}

/** A RIFF/WAVE file from chunks; `riffSize` overrides the header size (e.g. 0xFFFFFFFF for streaming writers). */
export function riffWave(chunks: Uint8Array[], riffSize?: number): Uint8Array {
  const body = bytes(ascii("WAVE"), ...chunks);
  return bytes(ascii("RIFF"), u32le(riffSize ?? body.length), body);
}

/** A minimal MP3: an empty ID3v2.4 tag followed by one MPEG-1 Layer III frame header (128 kbit/s, 44.1 kHz). */
// prettier-ignore
export const MP3_BYTES = Uint8Array.from([
  0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 0, 0, 0xff, 0xfb, 0x90, 0x64, ...new Array<number>(40).fill(0),
]);
