/**
 * Which X-Microsoft-OutputFormat to ask for. Names from the "Audio outputs" list:
 * https://learn.microsoft.com/azure/ai-services/speech-service/rest-text-to-speech#audio-outputs
 * Raw formats are headerless little-endian 16-bit PCM, so no WAV header needs stripping.
 */
import type { TtsEncoding } from "../types";

export type AzureOutput =
  | { kind: "pcm"; header: string; sampleRate: number }
  | { kind: "encoded"; header: string; format: "mp3" | "ogg"; mediaType: string };

const RAW_PCM: Record<number, string> = {
  8000: "raw-8khz-16bit-mono-pcm",
  16000: "raw-16khz-16bit-mono-pcm",
  22050: "raw-22050hz-16bit-mono-pcm",
  24000: "raw-24khz-16bit-mono-pcm",
  44100: "raw-44100hz-16bit-mono-pcm",
  48000: "raw-48khz-16bit-mono-pcm",
};

/** Prebuilt neural voices are 24 kHz models; other rates are resampled by us from this. */
const NATIVE_RATE = 24000;

export function azureOutputFormat(encoding: TtsEncoding, sampleRate: number): AzureOutput {
  // Encoded formats come at 16 or 24 kHz: the 16 kHz variant when the caller wants telephone/wideband rates.
  const narrow = sampleRate <= 16000;
  switch (encoding) {
    case "mp3":
      return {
        kind: "encoded",
        format: "mp3",
        mediaType: "audio/mpeg",
        header: narrow ? "audio-16khz-32kbitrate-mono-mp3" : "audio-24khz-48kbitrate-mono-mp3",
      };
    case "ogg":
      return {
        kind: "encoded",
        format: "ogg",
        mediaType: "audio/ogg;codecs=opus",
        header: narrow ? "ogg-16khz-16bit-mono-opus" : "ogg-24khz-16bit-mono-opus",
      };
    case "pcm": {
      const exact = RAW_PCM[sampleRate];
      return exact
        ? { kind: "pcm", header: exact, sampleRate }
        : { kind: "pcm", header: RAW_PCM[NATIVE_RATE]!, sampleRate: NATIVE_RATE };
    }
  }
}
