import { resample } from "../audio/resample";
import { localModule } from "../providers/local";

/**
 * The speech-to-text probe's clip: real speech made by the embedded engine, since workerd has no
 * files to read a recording from.
 */

/** What TTS probes synthesize and the STT probe clip says: two words, a few billed characters. */
export const PROBE_TEXT = "voice edge";
/** The STT clip's rate: telephone quality, the smallest upload every engine takes. */
export const PROBE_CLIP_RATE = 8000;

export interface ProbeClip {
  samples: Int16Array;
  sampleRate: number;
}

// Per isolate on purpose: the clip is the same for every run, and making it costs a synthesis.
let clipCache: Promise<ProbeClip> | null = null;

/** "voice edge" spoken by the embedded engine at 8 kHz (about 0.6 s), made once per isolate. */
export function probeClip(env: Env): Promise<ProbeClip> {
  if (!clipCache) {
    const pending = makeClip(env);
    clipCache = pending;
    pending.catch(() => {
      if (clipCache === pending) clipCache = null;
    });
  }
  return clipCache;
}

async function makeClip(env: Env): Promise<ProbeClip> {
  const engine = localModule.tts?.({}, env);
  if (!engine) throw new Error("the embedded engine is not in this build");
  const speech = await engine.synthesize({ text: PROBE_TEXT, language: "en-US", sampleRate: PROBE_CLIP_RATE });
  if (speech.kind === "encoded") throw new Error("the embedded engine returned encoded audio");
  return {
    samples: trimSilence(resample(speech.samples, speech.sampleRate, PROBE_CLIP_RATE), PROBE_CLIP_RATE),
    sampleRate: PROBE_CLIP_RATE,
  };
}

/** Drops eSpeak's leading and trailing silence, keeping 50 ms either side of the speech. */
function trimSilence(samples: Int16Array, rate: number): Int16Array {
  const threshold = 500; // about -36 dBFS
  let first = samples.findIndex((s) => Math.abs(s) > threshold);
  if (first < 0) return samples;
  let last = samples.length - 1;
  while (last > first && Math.abs(samples[last]!) <= threshold) last--;
  const pad = Math.round(rate * 0.05);
  first = Math.max(0, first - pad);
  return samples.slice(first, Math.min(samples.length, last + 1 + pad));
}
