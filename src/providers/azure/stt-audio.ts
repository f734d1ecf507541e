/**
 * Turns our STT input into a body Azure's short-audio REST API accepts, or refuses it before the
 * call. The API takes exactly two formats (16 kHz mono 16-bit PCM WAV, and Ogg Opus) and at most
 * 60 s of audio: https://learn.microsoft.com/azure/ai-services/speech-service/rest-speech-to-text-short#audio-formats
 */
import { oggDurationMs } from "../../audio/container-duration";
import { AudioError } from "../../audio/errors";
import { resample } from "../../audio/resample";
import { encodeWav } from "../../audio/wav";
import type { SttInput } from "../types";

/** "Requests ... can contain no more than 60 seconds of audio." */
export const AZURE_MAX_AUDIO_MS = 60_000;
const WAV_RATE = 16_000;

/** The two Content-Type values the API documents (request headers table). */
export const WAV_CONTENT_TYPE = "audio/wav; codecs=audio/pcm; samplerate=16000";
export const OGG_OPUS_CONTENT_TYPE = "audio/ogg; codecs=opus";

const TAKES =
  "Azure speech recognition takes WAV (16-bit PCM), L16 or G.711 audio, or Ogg Opus (audio/ogg with the Opus codec)";

export interface AzureAudioBody {
  contentType: string;
  body: Uint8Array;
}

export function azureAudioBody(input: SttInput): AzureAudioBody {
  if (input.kind === "pcm") {
    // Integer comparison on the sample count, so a clip of exactly 60 s is not refused by rounding.
    if (input.samples.length * 1000 > AZURE_MAX_AUDIO_MS * input.sampleRate) {
      throw tooLong((input.samples.length * 1000) / input.sampleRate);
    }
    return {
      contentType: WAV_CONTENT_TYPE,
      body: encodeWav(resample(input.samples, input.sampleRate, WAV_RATE), WAV_RATE),
    };
  }
  if (input.container !== "ogg") {
    throw new AudioError(
      "unsupported_media_type",
      `${TAKES}; it cannot read ${describe(input.container)}. Convert ` +
        "the recording, or choose another speech provider.",
    );
  }
  const codec = oggCodec(input.bytes);
  if (codec.name !== "opus") {
    throw new AudioError(
      "unsupported_media_type",
      `${TAKES}; this Ogg file holds ${codec.name === "vorbis" ? "Vorbis" : "an unrecognised codec"}, ` +
        "not Opus. Re-encode it as Ogg Opus (for example ffmpeg -c:a libopus -ac 1) or send WAV.",
    );
  }
  if (codec.channels !== 1) {
    throw new AudioError(
      "unsupported_media_type",
      `${TAKES}; this Ogg Opus file has ${codec.channels} channels and ` +
        "Azure accepts mono only. Re-encode it as mono (-ac 1).",
    );
  }
  const durationMs = oggDurationMs(input.bytes);
  if (durationMs !== null && durationMs > AZURE_MAX_AUDIO_MS) throw tooLong(durationMs);
  return { contentType: OGG_OPUS_CONTENT_TYPE, body: input.bytes };
}

/**
 * The codec of an Ogg stream, from the identification packet that opens its first page
 * (RFC 7845 §5.1 "OpusHead", with the channel count at byte 9; Vorbis I §4.2.2 "\x01vorbis").
 */
export function oggCodec(bytes: Uint8Array): { name: "opus" | "vorbis" | "unknown"; channels: number } {
  if (bytes.length < 27 || !startsWith(bytes, 0, "OggS")) return { name: "unknown", channels: 0 };
  const packet = 27 + bytes[26]!; // header, then one byte per segment of the page
  if (startsWith(bytes, packet, "OpusHead") && bytes.length > packet + 9)
    return { name: "opus", channels: bytes[packet + 9]! };
  if (startsWith(bytes, packet, "\x01vorbis")) return { name: "vorbis", channels: bytes[packet + 11] ?? 0 };
  return { name: "unknown", channels: 0 };
}

function startsWith(bytes: Uint8Array, at: number, magic: string): boolean {
  if (bytes.length < at + magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (bytes[at + i] !== magic.charCodeAt(i)) return false;
  return true;
}

function describe(container: string): string {
  return { webm: "WebM", mp3: "MP3", flac: "FLAC" }[container] ?? container;
}

/** Rounded up to the millisecond, so a clip just over the limit never reads as "60 s". */
function tooLong(durationMs: number): AudioError {
  return new AudioError(
    "payload_too_large",
    `The audio lasts ${Math.ceil(durationMs) / 1000} s, but Azure's short-audio recognition takes at ` +
      `most ${AZURE_MAX_AUDIO_MS / 1000} s; send a shorter recording or split it into turns.`,
  );
}
