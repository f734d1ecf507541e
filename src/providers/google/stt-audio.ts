/**
 * Turns our SttInput into the audio half of a Speech-to-Text v1 `recognize` request, or refuses it
 * with a 415/413 AudioError before any call is made.
 *
 * RecognitionConfig.AudioEncoding
 * (https://cloud.google.com/speech-to-text/docs/reference/rest/v1/RecognitionConfig#AudioEncoding):
 * - PCM → LINEAR16 ("uncompressed 16-bit signed little-endian samples") at its own rate. 8 kHz
 *   telephony stays LINEAR16 rather than MULAW: the samples are already decoded here, LINEAR16 is
 *   lossless ("for best results ... use a lossless encoding (FLAC or LINEAR16)") and re-companding
 *   would add G.711 noise to audio that arrived as L16.
 * - FLAC → FLAC; the rate comes from STREAMINFO, so sampleRateHertz is left out ("optional for FLAC
 *   ... if specified ... must match the header").
 * - Ogg → OGG_OPUS only: v1 has no Vorbis encoding. WebM → WEBM_OPUS. For both, "sample_rate_hertz
 *   must be one of 8000, 12000, 16000, 24000, or 48000"; it is taken from the stream's OpusHead.
 * - MP3 is refused: MP3 "is a Beta feature and only available in v1p1beta1".
 */
import { AudioError } from "../../audio/errors";
import { flacDurationMs, oggDurationMs } from "../../audio/container-duration";
import { samplesToPcm16 } from "../../audio/pcm";
import { resample } from "../../audio/resample";
import { afterId3 } from "../../audio/sniff";
import type { SttInput } from "../types";
import { base64Length } from "../../lib/base64";
import { flacInfo, oggInfo, webmInfo } from "./container-info";

export type GoogleAudioEncoding = "LINEAR16" | "FLAC" | "OGG_OPUS" | "WEBM_OPUS";

export interface PreparedAudio {
  encoding: GoogleAudioEncoding;
  sampleRateHertz?: number;
  /** Set only for multi-channel audio: Google then recognises the first channel instead of refusing the file. */
  audioChannelCount?: number;
  content: Uint8Array;
  /** The recording's rate where known, for choosing the telephony model. */
  sampleRate: number | undefined;
}

/** https://cloud.google.com/speech-to-text/quotas#content: synchronous audio "is limited to 10 MB or 1 minute". */
export const MAX_SECONDS = 60;
/** 10 MB is the whole request; the base64 audio must leave room for the JSON around it. */
const MAX_REQUEST_BYTES = 10_000_000;
const CONFIG_ALLOWANCE = 2048;
/** RecognitionConfig.sample_rate_hertz: "Valid values are: 8000-48000". */
const MIN_RATE = 8000;
const MAX_RATE = 48000;
const OPUS_RATES = [8000, 12000, 16000, 24000, 48000];

const TAKES = "Google Speech-to-Text takes WAV/PCM, FLAC, Ogg Opus or WebM Opus";

export function prepareAudio(input: SttInput): PreparedAudio {
  const prepared = input.kind === "pcm" ? preparePcm(input.samples, input.sampleRate) : prepareContainer(input);
  if (base64Length(prepared.content.length) > MAX_REQUEST_BYTES - CONFIG_ALLOWANCE) {
    throw new AudioError(
      "payload_too_large",
      `The audio is ${prepared.content.length} bytes; Google Speech-to-Text takes at most 10 MB per request ` +
        "(about 7.4 MB of audio once base64-encoded). Send a shorter recording, or FLAC/Opus instead of WAV.",
    );
  }
  return prepared;
}

function preparePcm(samples: Int16Array, rate: number): PreparedAudio {
  checkSeconds(samples.length / rate);
  // In-range rates go as they are: Google advises "use the native sample rate ... (instead of re-sampling)".
  const sampleRate = rate < MIN_RATE || rate > MAX_RATE ? 16000 : rate;
  const pcm = sampleRate === rate ? samples : resample(samples, rate, sampleRate);
  return { encoding: "LINEAR16", sampleRateHertz: sampleRate, content: samplesToPcm16(pcm, true), sampleRate: rate };
}

function prepareContainer(input: Extract<SttInput, { kind: "container" }>): PreparedAudio {
  const { bytes } = input;
  switch (input.container) {
    case "flac": {
      const info = flacInfo(bytes, afterId3(bytes) ?? 0);
      if (!info)
        throw new AudioError(
          "invalid_audio",
          "The FLAC stream has no readable STREAMINFO header; send a complete FLAC file.",
        );
      // AudioEncoding.FLAC: "FLAC stream encoding supports 16-bit and 24-bit samples".
      if (info.bitsPerSample !== 16 && info.bitsPerSample !== 24) {
        throw new AudioError(
          "unsupported_media_type",
          `The FLAC file has ${info.bitsPerSample}-bit samples; Google Speech-to-Text ` +
            "takes 16- or 24-bit FLAC. Re-encode at 16 bits, or send WAV.",
        );
      }
      checkRate(info.sampleRate, "FLAC");
      checkMs(flacDurationMs(bytes));
      return { encoding: "FLAC", ...channels(info.channels), content: bytes, sampleRate: info.sampleRate };
    }
    case "ogg": {
      const info = oggInfo(bytes);
      if (info.codec !== "opus") {
        const codec =
          info.codec === "unknown"
            ? "an unrecognised codec"
            : info.codec === "vorbis"
              ? "Vorbis"
              : info.codec === "flac"
                ? "FLAC"
                : "Speex";
        throw new AudioError(
          "unsupported_media_type",
          `This Ogg file holds ${codec} audio; Google Speech-to-Text takes Ogg only with the Opus codec ` +
            "(OGG_OPUS). Re-encode it as Ogg Opus (for example ffmpeg -c:a libopus), or send FLAC or WAV.",
        );
      }
      checkMs(oggDurationMs(bytes));
      const rate = opusRate(info.inputRate ?? 0, "Ogg Opus");
      return {
        encoding: "OGG_OPUS",
        sampleRateHertz: rate,
        ...channels(info.channels ?? 1),
        content: bytes,
        sampleRate: rate,
      };
    }
    case "webm": {
      const info = webmInfo(bytes);
      // Browsers' MediaRecorder writes A_OPUS; a WebM the walker could not read is passed on as Opus and
      // left to Google.
      if (info.codecId !== undefined && info.codecId !== "A_OPUS") {
        throw new AudioError(
          "unsupported_media_type",
          "This WebM file holds " +
            (info.codecId === "A_VORBIS" ? "Vorbis" : `'${info.codecId.replace(/[^\x20-\x7e]/g, "").slice(0, 20)}'`) +
            " audio; Google Speech-to-Text takes WebM only with the Opus codec (WEBM_OPUS). Record with " +
            "audio/webm;codecs=opus, or send FLAC or WAV.",
        );
      }
      if (info.durationMs !== undefined) checkMs(info.durationMs);
      // OpusHead's input rate is what the encoder was fed; Matroska's SamplingFrequency for Opus is nominally 48000.
      const rate = opusRate(info.opusInputRate || Math.round(info.samplingFrequency ?? 0), "WebM Opus");
      return {
        encoding: "WEBM_OPUS",
        sampleRateHertz: rate,
        ...channels(info.channels ?? 1),
        content: bytes,
        sampleRate: rate,
      };
    }
    case "mp3":
      throw new AudioError(
        "unsupported_media_type",
        `${TAKES}; its v1 API has no MP3 (MP3 is a beta-only encoding). Send WAV, FLAC or Opus instead of audio/mpeg.`,
      );
  }
}

/**
 * Opus always decodes at 48 kHz, but Google reads the rate the stream declares and takes only the five
 * Opus rates (a 44.1 kHz OpusHead is a known cause of failed recognitions), so anything else is refused.
 */
function opusRate(declared: number, what: string): number {
  if (declared === 0) return 48000; // "unspecified": Opus's native rate
  if (OPUS_RATES.includes(declared)) return declared;
  throw new AudioError(
    "unsupported_media_type",
    `The ${what} stream declares an input rate of ${declared} Hz; Google Speech-to-Text takes Opus declared at ` +
      "8000, 12000, 16000, 24000 or 48000 Hz. Re-encode at one of those rates, or send FLAC or WAV.",
  );
}

function channels(count: number): { audioChannelCount?: number } {
  // "All encodings support only 1 channel (mono) audio, unless the audio_channel_count ... fields are set."
  return count > 1 ? { audioChannelCount: Math.min(count, 8) } : {};
}

function checkRate(rate: number, what: string): void {
  if (rate < MIN_RATE || rate > MAX_RATE) {
    throw new AudioError(
      "unsupported_media_type",
      `The ${what} audio is sampled at ${rate} Hz; Google Speech-to-Text takes ` +
        `${MIN_RATE} to ${MAX_RATE} Hz (16000 Hz is ideal). Resample it, or send WAV.`,
    );
  }
}

function checkMs(ms: number | null): void {
  if (ms !== null) checkSeconds(ms / 1000);
}

function checkSeconds(seconds: number): void {
  if (seconds > MAX_SECONDS) {
    throw new AudioError(
      "payload_too_large",
      `The audio lasts ${seconds.toFixed(1)} s; Google Speech-to-Text recognises at most ` +
        `${MAX_SECONDS} s per request. Send a shorter utterance, or split the recording.`,
    );
  }
}
