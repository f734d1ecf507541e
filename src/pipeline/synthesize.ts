import { encodeReply } from "../audio/output-format";
import type { ReplyAudio, ReplyOptions } from "../durable/call-types";
import type { TextToSpeech } from "../providers/types";

export interface Synthesized {
  audio: ReplyAudio;
  provider: string;
  region: string;
}

export class TtsUnavailableError extends Error {}

/**
 * The TTS stage: the configured engines in preference order, the first that answers wins. The
 * result is encoded into the client's format and rate. Throws TtsUnavailableError when every
 * engine failed, so a turn can degrade to a text-only reply instead of failing.
 */
export async function synthesize(
  text: string,
  language: string,
  reply: ReplyOptions,
  tts: readonly TextToSpeech[],
  options: { voice?: string | undefined; signal?: AbortSignal | undefined } = {},
): Promise<Synthesized> {
  const failures: string[] = [];
  for (const engine of tts) {
    try {
      const pcm = await engine.synthesize(
        { text, language, sampleRate: reply.sampleRate, ...(options.voice ? { voice: options.voice } : {}) },
        options.signal,
      );
      const { bytes, mediaType } = encodeReply(pcm.samples, pcm.sampleRate, reply.format, reply.sampleRate);
      return {
        audio: { format: reply.format, sampleRate: reply.sampleRate, mediaType, bytes },
        provider: engine.name,
        region: engine.region,
      };
    } catch (err) {
      failures.push(`${engine.name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  throw new TtsUnavailableError(failures.length ? failures.join("; ") : "no TTS provider configured");
}
