/**
 * A cheap energy gate: does this PCM hold anything louder than background noise? Used to tell
 * "silence" (answered locally with the no-input reply) from "speech" (which needs an STT provider).
 */
const FRAME_MS = 20;
/** -42 dBFS RMS: well above digital silence and line hiss, well below quiet speech (~ -30 dBFS). */
const SPEECH_DBFS = -42;
/** At least 100 ms of loud frames, so a click or a pop is not speech. */
const MIN_ACTIVE_MS = 100;

export function frameLevelsDbfs(samples: Int16Array, sampleRate: number): number[] {
  const frame = Math.max(1, Math.round((sampleRate * FRAME_MS) / 1000));
  const levels: number[] = [];
  for (let start = 0; start + frame <= samples.length; start += frame) {
    let sum = 0;
    for (let i = start; i < start + frame; i++) {
      const s = (samples[i] ?? 0) / 32768;
      sum += s * s;
    }
    const rms = Math.sqrt(sum / frame);
    levels.push(rms > 0 ? 20 * Math.log10(rms) : -120);
  }
  return levels;
}

export function hasVoiceEnergy(samples: Int16Array, sampleRate: number): boolean {
  const active = frameLevelsDbfs(samples, sampleRate).filter((db) => db > SPEECH_DBFS).length;
  return active * FRAME_MS >= MIN_ACTIVE_MS;
}
