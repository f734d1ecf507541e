import { encodeReply, mediaTypeFor } from "../audio/output-format";
import type { ReplyAudio, ReplyOptions } from "../durable/call-types";
import { readCachedSpeech, writeCachedSpeech, type TtsCache } from "../providers/tts-cache";
import type { TextToSpeech, TtsEncoding } from "../providers/types";

export interface Synthesized {
  audio: ReplyAudio;
  provider: string;
  region: string;
  cache: "hit" | "miss";
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
  options: { voice?: string | undefined; signal?: AbortSignal | undefined; cache?: (TtsCache & { tenantId: string }) | undefined } = {},
): Promise<Synthesized> {
  const encoding = ttsEncodingFor(reply.format);
  const failures: string[] = [];
  for (const engine of tts.filter((e) => e.encodings.includes(encoding))) {
    const cacheKey = { tenantId: options.cache?.tenantId ?? "", provider: engine.name, voice: options.voice ?? "", language, format: reply.format, sampleRate: reply.sampleRate, text };
    try {
      const cached = options.cache ? await readCachedSpeech(options.cache, cacheKey) : null;
      if (cached) return { audio: cached, provider: engine.name, region: engine.region, cache: "hit" };
      const out = await engine.synthesize(
        { text, language, sampleRate: reply.sampleRate, encoding, ...(options.voice ? { voice: options.voice } : {}) },
        options.signal,
      );
      const audio: ReplyAudio =
        out.kind === "encoded"
          ? { format: out.format, sampleRate: out.sampleRate ?? reply.sampleRate, mediaType: out.mediaType || mediaTypeFor(out.format, reply.sampleRate), bytes: out.bytes }
          : { format: reply.format, sampleRate: reply.sampleRate, ...encodeReply(out.samples, out.sampleRate, reply.format, reply.sampleRate) };
      // A cache write that fails costs only a later re-synthesis; it must not fail the reply.
      if (options.cache) await writeCachedSpeech(options.cache, cacheKey, audio).catch((err: unknown) => console.warn(JSON.stringify({ event: "tts_cache_write_failed", message: String(err) })));
      return { audio, provider: engine.name, region: engine.region, cache: "miss" };
    } catch (err) {
      failures.push(`${engine.name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  throw new TtsUnavailableError(failures.length ? failures.join("; ") : `no TTS provider configured for ${encoding}`);
}
