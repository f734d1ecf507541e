/** Reply formats a client can ask for (`format=`); see the API contract. */
export const OUTPUT_FORMATS = ["wav", "pcm", "mulaw", "mp3", "ogg"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Synthesised reply audio in one of the reply formats. */
export interface ReplyAudio {
  format: OutputFormat;
  sampleRate: number;
  mediaType: string;
  bytes: Uint8Array;
}
