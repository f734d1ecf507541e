/**
 * The body and Content-Type for Deepgram pre-recorded recognition. Containers (WAV, Ogg, WebM,
 * MP3, FLAC) go as they are with their media type: Deepgram reads the format from the container
 * (https://developers.deepgram.com/docs/supported-audio-formats). Decoded PCM is sent as a WAV file
 * rather than raw linear16, because for containerized audio "both sample_rate and encoding should
 * be omitted" (https://developers.deepgram.com/docs/sample-rate): the header states rate and
 * channels, so no query parameter can disagree with the bytes. No resampling: Deepgram takes the
 * 8-48 kHz rates our decoder produces.
 */
import { encodeWav } from "../../audio/wav";
import type { SttInput } from "../types";

export function deepgramAudioBody(input: SttInput): { contentType: string; body: Uint8Array } {
  if (input.kind === "pcm") return { contentType: "audio/wav", body: encodeWav(input.samples, input.sampleRate) };
  return { contentType: input.mediaType, body: input.bytes };
}
