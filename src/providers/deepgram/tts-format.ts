/**
 * Query parameters for the audio Aura returns, from the "Audio Format Combinations" table
 * (https://developers.deepgram.com/docs/tts-media-output-settings): linear16 with container wav or
 * none at 8000/16000/24000/32000/48000 Hz; mp3 with no container, fixed at 22050 Hz; opus in an
 * ogg container, fixed at 48000 Hz. Rates that are fixed must not be sent.
 * container=none gives headerless little-endian 16-bit PCM, so there is no WAV header to strip
 * (https://developers.deepgram.com/docs/tts-container).
 */
import type { TtsEncoding } from "../types";

export type DeepgramOutput =
  | { kind: "pcm"; params: [string, string][]; sampleRate: number }
  | { kind: "encoded"; params: [string, string][]; format: "mp3" | "ogg"; mediaType: string };

const LINEAR16_RATES = new Set([8000, 16000, 24000, 32000, 48000]);
/** The REST default rate; other requested rates are resampled by the caller from this. */
const DEFAULT_RATE = 24000;

export function deepgramOutputFormat(encoding: TtsEncoding, sampleRate: number): DeepgramOutput {
  switch (encoding) {
    case "mp3":
      return { kind: "encoded", format: "mp3", mediaType: "audio/mpeg", params: [["encoding", "mp3"]] };
    case "ogg":
      return {
        kind: "encoded",
        format: "ogg",
        mediaType: "audio/ogg;codecs=opus",
        params: [
          ["encoding", "opus"],
          ["container", "ogg"],
        ],
      };
    case "pcm": {
      const rate = LINEAR16_RATES.has(sampleRate) ? sampleRate : DEFAULT_RATE;
      return {
        kind: "pcm",
        sampleRate: rate,
        params: [
          ["encoding", "linear16"],
          ["sample_rate", String(rate)],
          ["container", "none"],
        ],
      };
    }
  }
}
