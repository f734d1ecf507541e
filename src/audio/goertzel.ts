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
export function goertzelPower(samples: Int16Array, start: number, length: number, offset: number, filter: GoertzelFilter): number {
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
