/**
 * The Goertzel algorithm: the power of one DFT term, at an arbitrary (non-bin-centred) frequency,
 * in one multiply and two adds per sample. Cheaper than an FFT when only a handful of frequencies
 * matter, as in tone detection, and the frequency need not be a multiple of sampleRate / length.
 */
export interface GoertzelFilter {
  readonly frequency: number;
  /** 2·cos(2π·f/fs), the recurrence coefficient. */
  readonly coefficient: number;
}

export function goertzelFilter(frequency: number, sampleRate: number): GoertzelFilter {
  return { frequency, coefficient: 2 * Math.cos((2 * Math.PI * frequency) / sampleRate) };
}

/**
 * |X(f)|² over samples[start, start + length), with `offset` subtracted from every sample (the
 * block's mean, so a DC offset on the line cannot leak into the tone bins). A sinusoid of
 * amplitude A at f gives about (A·length/2)².
 */
export function goertzelPower(
  samples: Int16Array,
  start: number,
  length: number,
  offset: number,
  filter: GoertzelFilter,
): number {
  const c = filter.coefficient;
  let s1 = 0;
  let s2 = 0;
  const end = start + length;
  for (let i = start; i < end; i++) {
    const s0 = samples[i]! - offset + c * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - c * s1 * s2;
}

/**
 * goertzelPower for four filters in one pass over the block, the same figures bit for bit (each
 * filter's recurrence is computed exactly as above). One filter's recurrence is a chain of
 * dependent multiply-adds, so the CPU mostly waits on it; four independent chains in one loop
 * overlap, and the samples are read once instead of four times: DTMF's row and column groups are
 * four tones each, checked on every block of every audio turn.
 */
export function goertzelPowers4(
  samples: Int16Array,
  start: number,
  length: number,
  offset: number,
  filters: readonly [GoertzelFilter, GoertzelFilter, GoertzelFilter, GoertzelFilter],
): [number, number, number, number] {
  const [c0, c1, c2, c3] = filters.map((f) => f.coefficient) as [number, number, number, number];
  let a1 = 0;
  let a2 = 0;
  let b1 = 0;
  let b2 = 0;
  let d1 = 0;
  let d2 = 0;
  let e1 = 0;
  let e2 = 0;
  const end = start + length;
  for (let i = start; i < end; i++) {
    const x = samples[i]! - offset;
    const a0 = x + c0 * a1 - a2;
    const b0 = x + c1 * b1 - b2;
    const d0 = x + c2 * d1 - d2;
    const e0 = x + c3 * e1 - e2;
    a2 = a1;
    a1 = a0;
    b2 = b1;
    b1 = b0;
    d2 = d1;
    d1 = d0;
    e2 = e1;
    e1 = e0;
  }
  return [
    a1 * a1 + a2 * a2 - c0 * a1 * a2,
    b1 * b1 + b2 * b2 - c1 * b1 * b2,
    d1 * d1 + d2 * d2 - c2 * d1 * d2,
    e1 * e1 + e2 * e2 - c3 * e1 * e2,
  ];
}
