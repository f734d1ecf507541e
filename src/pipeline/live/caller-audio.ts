import { pcmDurationMs, type DecodedAudio } from "../../audio/decode";
import { AudioError } from "../../audio/errors";
import { decodeFrame } from "../../stream/frames";
import { CLOSE, type CloseCode } from "../../stream/protocol";
import type { StreamProblem } from "./stream-limits";
import type { StartSettings } from "./stream-state";

/** One frame of caller audio as samples, or why the stream cannot go on (its problem and close code). */
export function decodeCallerFrame(
  bytes: Uint8Array,
  start: StartSettings,
): Int16Array | { problem: StreamProblem; close: CloseCode } {
  try {
    return decodeFrame(bytes, start.format, start.sampleRate);
  } catch (err) {
    if (!(err instanceof AudioError)) throw err;
    if (err.code === "payload_too_large")
      return { problem: { status: 413, code: "payload_too_large", detail: err.message }, close: CLOSE.tooBig };
    return { problem: { status: 400, code: err.code, detail: err.message }, close: CLOSE.invalidPayload };
  }
}

/** Caller PCM as a turn's audio. */
export function pcmAudio(samples: Int16Array, sampleRate: number): DecodedAudio {
  return {
    kind: "pcm",
    samples,
    sampleRate,
    durationMs: pcmDurationMs(samples.length, sampleRate),
    mediaType: `audio/L16;rate=${sampleRate}`,
  };
}
