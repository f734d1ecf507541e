import { InputError } from "../lib/errors";

/**
 * The one error type the audio layer throws for bad client input.
 *
 * `code` picks the HTTP status in the API layer (invalid_audio → 400, unsupported_media_type → 415,
 * payload_too_large → 413); `message` is shown to API clients verbatim as the problem+json `detail`,
 * so it must say what is wrong *and* what the client should change, without internal jargon.
 * Programming errors (bad arguments from our own code) are thrown as RangeError/TypeError instead,
 * so they surface as 500s rather than being blamed on the client.
 */
export type AudioErrorCode = "invalid_audio" | "unsupported_media_type" | "payload_too_large";

const STATUS = { invalid_audio: 400, unsupported_media_type: 415, payload_too_large: 413 } as const;

export class AudioError extends InputError {
  constructor(
    override readonly code: AudioErrorCode,
    message: string,
  ) {
    super(STATUS[code], code, message);
    this.name = "AudioError";
  }
}
