import { encodeReply, mediaTypeFor } from "../audio/output-format";
import type { ReplyAudio, ReplyOptions } from "../durable/call-types";
import type { TextToSpeech, TtsEncoding } from "../providers/types";

export interface Synthesized {
  audio: ReplyAudio;
  provider: string;
  region: string;
}

export class TtsUnavailableError extends Error {}

/** mp3 and ogg come from the provider as they are; every other format is encoded here from PCM. */
export function ttsEncodingFor(format: ReplyOptions["format"]): TtsEncoding {
  return format === "mp3" || format === "ogg" ? format : "pcm";
}

/**
 * The TTS stage: the configured engines in preference order, the first that answers wins (engines
 * that cannot produce the requested encoding are skipped). PCM is encoded into the client's format
 * and rate. Throws TtsUnavailableError when every engine failed, so a turn can degrade to a
 * text-only reply instead of failing.
 */
export async function synthesize(
  text: string,
  language: string,
  reply: ReplyOptions,
  tts: readonly TextToSpeech[],
  options: { voice?: string | undefined; signal?: AbortSignal | undefined } = {},
): Promise<Synthesized> {
  const encoding = ttsEncodingFor(reply.format);
  const failures: string[] = [];
  for (const engine of tts.filter((e) => e.encodings.includes(encoding))) {
    try {
      const out = await engine.synthesize(
        { text, language, sampleRate: reply.sampleRate, encoding, ...(options.voice ? { voice: options.voice } : {}) },
        options.signal,
      );
      const audio: ReplyAudio =
        out.kind === "encoded"
          ? { format: out.format, sampleRate: reply.sampleRate, mediaType: out.mediaType || mediaTypeFor(out.format, reply.sampleRate), bytes: out.bytes }
          : { format: reply.format, sampleRate: reply.sampleRate, ...encodeReply(out.samples, out.sampleRate, reply.format, reply.sampleRate) };
      return { audio, provider: engine.name, region: engine.region };
    } catch (err) {
      failures.push(`${engine.name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  throw new TtsUnavailableError(failures.length ? failures.join("; ") : `no TTS provider configured for ${encoding}`);
}
