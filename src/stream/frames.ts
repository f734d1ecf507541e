/**
 * Audio frames of the live call stream (src/stream/protocol.ts) ↔ 16-bit samples.
 *
 * Caller frames arrive as WebSocket binary messages in the format chosen by `start`: pcm16
 * (little-endian, read through a DataView so a view at an odd byte offset works) or G.711 µ-law.
 * Reply audio goes back resampled to the client's rate and encoded the same way, cut into short
 * frames so the client can start playing (and the server can stop sending on barge-in) early.
 */
import { type StreamFormat, MAX_AUDIO_FRAME_BYTES } from "./protocol";
import { AudioError } from "../audio/errors";
import { muLawDecode, muLawEncode } from "../audio/g711";
import { pcm16ToSamples, samplesToPcm16 } from "../audio/pcm";
import { resample } from "../audio/resample";

export function bytesPerSample(format: StreamFormat): 1 | 2 {
  return format === "pcm16" ? 2 : 1;
}

/**
 * One caller frame as samples at `sampleRate` (the rate is the stream's; frames are not resampled).
 * Throws AudioError for what the client got wrong: payload_too_large over MAX_AUDIO_FRAME_BYTES
 * (close with CLOSE.tooBig), invalid_audio for a pcm16 frame with an odd number of bytes
 * (CLOSE.invalidPayload): half a sample means the client's framing is broken, and carrying the
 * byte over would silently misalign every later sample if the client dropped one.
 */
export function decodeFrame(bytes: Uint8Array, format: StreamFormat, sampleRate: number): Int16Array {
  checkRate(sampleRate);
  if (bytes.byteLength > MAX_AUDIO_FRAME_BYTES) {
    throw new AudioError(
      "payload_too_large",
      `An audio frame may hold at most ${MAX_AUDIO_FRAME_BYTES} bytes; this one has ${bytes.byteLength}. Send ` +
        `audio in short frames (20 ms is ${frameBytes(format, sampleRate, 20)} ` +
        `bytes at ${sampleRate} Hz ${format}).`,
    );
  }
  if (format === "mulaw") return muLawDecode(bytes);
  if (bytes.byteLength % 2 !== 0) {
    throw new AudioError(
      "invalid_audio",
      "A pcm16 audio frame must hold whole 16-bit samples (an even number of bytes); " +
        `this one has ${bytes.byteLength}. Split the audio on sample boundaries.`,
    );
  }
  return pcm16ToSamples(bytes, true);
}

/**
 * Reply audio for the client: `samples` at `fromRate`, resampled to `toRate` and encoded. Each call
 * is filtered on its own (the resampler treats audio outside it as silence), so pass whole
 * synthesised segments (a sentence) and cut the result with chunkFrames, rather than resampling
 * 20 ms pieces one by one.
 */
export function encodeForClient(
  samples: Int16Array,
  fromRate: number,
  format: StreamFormat,
  toRate: number,
): Uint8Array {
  checkRate(toRate);
  const converted = resample(samples, fromRate, toRate);
  return format === "mulaw" ? muLawEncode(converted) : samplesToPcm16(converted, true);
}

/** Encoded audio cut into frames of `ms` (views into `bytes`, not copies); the last frame may be shorter. */
export function chunkFrames(bytes: Uint8Array, format: StreamFormat, sampleRate: number, ms = 20): Uint8Array[] {
  checkRate(sampleRate);
  if (!Number.isFinite(ms) || ms <= 0)
    throw new RangeError(`frame duration must be a positive number of ms, got ${ms}`);
  const size = frameBytes(format, sampleRate, ms);
  const frames: Uint8Array[] = [];
  for (let at = 0; at < bytes.byteLength; at += size)
    frames.push(bytes.subarray(at, Math.min(at + size, bytes.byteLength)));
  return frames;
}

/** Bytes in `ms` of audio: whole samples, at least one. */
export function frameBytes(format: StreamFormat, sampleRate: number, ms: number): number {
  return Math.max(1, Math.round((sampleRate * ms) / 1000)) * bytesPerSample(format);
}

function checkRate(rate: number): void {
  if (!Number.isInteger(rate) || rate <= 0) throw new RangeError(`sample rate must be a positive integer, got ${rate}`);
}
