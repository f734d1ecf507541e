/**
 * The single entry point that turns an uploaded body into something the pipeline can use:
 * mono 16-bit PCM for formats the Worker decodes itself (WAV, L16, G.711), or the untouched bytes
 * of a compressed container for a speech provider to decode.
 *
 * Everything a client can get wrong is checked here, cheapest first, so a bad request fails fast
 * with a message that says what to change: the declared type, emptiness, size, whether the bytes
 * agree with the declared type, and duration.
 */
import { flacDurationMs, oggDurationMs } from "./container-duration";
import { AudioError } from "./errors";
import { aLawDecode, muLawDecode } from "./g711";
import { type AudioMediaType, type ContainerFormat, parseAudioMediaType } from "./media-type";
import { pcm16ToSamples } from "./pcm";
import { downmixToMono } from "./resample";
import { type SniffedContainer, sniffContainer } from "./sniff";
import { parseWav } from "./wav";

export interface DecodeLimits {
  maxBytes: number;
  maxDurationMs: number;
}

export type DecodedAudio =
  | { kind: "pcm"; samples: Int16Array; sampleRate: number; durationMs: number; mediaType: string }
  | { kind: "container"; container: ContainerFormat; bytes: Uint8Array; mediaType: string; durationMs: number | null };

/** Rounded to whole milliseconds; limits are compared on exact sample counts, not on this. */
export function pcmDurationMs(samples: number, rate: number): number {
  return Math.round((samples * 1000) / rate);
}

export function decodeAudio(bytes: Uint8Array, contentType: string | null, limits: DecodeLimits): DecodedAudio {
  const type = parseAudioMediaType(contentType);
  if (bytes.length === 0) {
    throw new AudioError(
      "invalid_audio",
      "The request body is empty; send the audio bytes as the body, with a " +
        `Content-Type that matches them (${type.mediaType} was declared).`,
    );
  }
  if (bytes.length > limits.maxBytes) {
    throw new AudioError(
      "payload_too_large",
      `The audio body is ${bytes.length} bytes, over the limit of ${limits.maxBytes} ` +
        "bytes; send a shorter recording or a compressed format such as audio/ogg.",
    );
  }
  const sniffed = sniffContainer(bytes);
  switch (type.kind) {
    case "wav":
      if (sniffed !== "wav") throw mismatch(sniffed, type);
      return decodeWav(bytes, limits);
    case "raw":
      if (sniffed !== "unknown") throw mismatch(sniffed, type);
      return decodeRaw(bytes, type, limits);
    case "container": {
      if (sniffed !== type.container) throw mismatch(sniffed, type);
      const durationMs =
        type.container === "flac" ? flacDurationMs(bytes) : type.container === "ogg" ? oggDurationMs(bytes) : null;
      if (durationMs !== null && durationMs > limits.maxDurationMs) throw tooLong(durationMs, limits);
      return { kind: "container", container: type.container, bytes, mediaType: type.mediaType, durationMs };
    }
  }
}

function decodeWav(bytes: Uint8Array, limits: DecodeLimits): DecodedAudio {
  const wav = parseWav(bytes);
  const bytesPerSample = wav.encoding === "pcm16" ? 2 : 1;
  const frames = wav.data.length / (bytesPerSample * wav.channels);
  checkDuration(frames, wav.sampleRate, limits); // before decoding: no work for audio we will refuse
  const interleaved =
    wav.encoding === "pcm16"
      ? pcm16ToSamples(wav.data, true)
      : wav.encoding === "mulaw"
        ? muLawDecode(wav.data)
        : aLawDecode(wav.data);
  return pcm(downmixToMono(interleaved, wav.channels), wav.sampleRate, "audio/wav");
}

function decodeRaw(
  bytes: Uint8Array,
  type: Extract<AudioMediaType, { kind: "raw" }>,
  limits: DecodeLimits,
): DecodedAudio {
  const bytesPerFrame = (type.encoding === "l16" ? 2 : 1) * type.channels;
  if (bytes.length % bytesPerFrame !== 0) {
    const what =
      type.encoding === "l16"
        ? `16-bit samples${type.channels === 2 ? " in 2 channels" : ""}`
        : "8-bit samples in 2 channels";
    throw new AudioError(
      "invalid_audio",
      `The body is ${bytes.length} bytes, which is not a whole number of ${what} as ` +
        `${type.mediaType} requires; it was probably cut short or is in another format.`,
    );
  }
  checkDuration(bytes.length / bytesPerFrame, type.sampleRate, limits);
  const interleaved =
    type.encoding === "l16"
      ? pcm16ToSamples(bytes, false)
      : type.encoding === "mulaw"
        ? muLawDecode(bytes)
        : aLawDecode(bytes);
  return pcm(downmixToMono(interleaved, type.channels), type.sampleRate, type.mediaType);
}

function pcm(samples: Int16Array, sampleRate: number, mediaType: string): DecodedAudio {
  return { kind: "pcm", samples, sampleRate, durationMs: pcmDurationMs(samples.length, sampleRate), mediaType };
}

function checkDuration(frames: number, sampleRate: number, limits: DecodeLimits): void {
  // Integer comparison on sample counts, so a clip of exactly the limit is never rejected by rounding.
  if (frames * 1000 > limits.maxDurationMs * sampleRate) throw tooLong(pcmDurationMs(frames, sampleRate), limits);
}

function tooLong(durationMs: number, limits: DecodeLimits): AudioError {
  return new AudioError(
    "payload_too_large",
    `The audio lasts ${seconds(durationMs)} s, over the limit of ` +
      `${seconds(limits.maxDurationMs)} s; send a shorter recording or split it into several turns.`,
  );
}

/** "300", "2.934", "0.999": exact to the millisecond, so "over the limit" never reads as equal. */
function seconds(ms: number): string {
  return String(Math.round(ms) / 1000);
}

const LOOKS_LIKE: Record<SniffedContainer, string> = {
  wav: "a WAV file (RIFF/WAVE header)",
  ogg: "an Ogg file (OggS header)",
  webm: "a WebM/Matroska file (EBML header)",
  mp3: "an MP3 file",
  flac: "a FLAC file (fLaC header)",
  unknown: "no recognised audio container (no WAV, Ogg, WebM, MP3 or FLAC header)",
};

function mismatch(sniffed: SniffedContainer, type: AudioMediaType): AudioError {
  const declared = type.kind === "raw" ? `${type.mediaType}, which means raw headerless samples` : type.mediaType;
  const fix =
    sniffed === "unknown"
      ? "check that the body is the audio file itself (not JSON, form data " +
        "or base64) and that Content-Type names its real format"
      : `set Content-Type to ${suggestedType(sniffed)} if the bytes are right`;
  return new AudioError(
    "invalid_audio",
    `The body looks like ${LOOKS_LIKE[sniffed]} but Content-Type declares ${declared}; ${fix}.`,
  );
}

function suggestedType(sniffed: Exclude<SniffedContainer, "unknown">): string {
  return { wav: "audio/wav", ogg: "audio/ogg", webm: "audio/webm", mp3: "audio/mpeg", flac: "audio/flac" }[sniffed];
}
