import type { OutputFormat } from "../call/audio-format";
import { AudioError } from "./errors";
import { muLawEncode } from "./g711";
import { samplesToPcm16 } from "./pcm";
import { resample } from "./resample";
import { encodeWav } from "./wav";

export const OUTPUT_SAMPLE_RATES = [8000, 16000, 22050, 24000] as const;

/** Formats produced from PCM inside the Worker; mp3/ogg need a cloud provider that emits them. */
export const PCM_DERIVED_FORMATS: readonly OutputFormat[] = ["wav", "pcm", "mulaw"];

export function mediaTypeFor(format: OutputFormat, sampleRate: number): string {
  switch (format) {
    case "wav":
      return "audio/wav";
    case "pcm":
      // Raw signed 16-bit little-endian mono (what OpenAI and Polly call "pcm"); L16 would be big-endian.
      return `audio/pcm;rate=${sampleRate};bits=16;endianness=little`;
    case "mulaw":
      return sampleRate === 8000 ? "audio/basic" : `audio/PCMU;rate=${sampleRate}`;
    case "mp3":
      return "audio/mpeg";
    case "ogg":
      return "audio/ogg";
  }
}

/** Encodes mono PCM into a reply format at the requested rate. */
export function encodeReply(
  samples: Int16Array,
  fromRate: number,
  format: OutputFormat,
  toRate: number,
): { bytes: Uint8Array; mediaType: string } {
  const pcm = resample(samples, fromRate, toRate);
  switch (format) {
    case "wav":
      return { bytes: encodeWav(pcm, toRate), mediaType: mediaTypeFor(format, toRate) };
    case "pcm":
      return { bytes: samplesToPcm16(pcm, true), mediaType: mediaTypeFor(format, toRate) };
    case "mulaw":
      return { bytes: muLawEncode(pcm), mediaType: mediaTypeFor(format, toRate) };
    default:
      throw new AudioError(
        "unsupported_media_type",
        `The local speech engine produces wav, pcm or mulaw; '${format}' needs a cloud TTS provider that outputs it.`,
      );
  }
}
