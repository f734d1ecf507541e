import type { OutputFormat } from "../../call/audio-format";
import type { ReplyOptions } from "../../pipeline/types";
import { ApiError } from "../../lib/errors";
import { ttsEncodingFor } from "../../pipeline/stages/synthesize";
import type { TextToSpeech } from "../../providers/types";

/**
 * Reply settings from the query (`reply=`, `format=`, `sampleRate=`), checked before any work:
 * mp3 and ogg come only from a configured TTS provider that produces them (wav, pcm and mulaw are
 * encoded here from any engine's PCM), so asking for one without such a provider is a 415.
 */
export function replyOptions(
  q: { reply?: "audio" | "text" | undefined; format?: OutputFormat | undefined; sampleRate?: number | undefined },
  ttsProviders: () => readonly TextToSpeech[],
): ReplyOptions {
  const format = q.format ?? "wav";
  const mode = q.reply ?? "audio";
  const encoding = ttsEncodingFor(format);
  if (mode === "audio" && encoding !== "pcm") {
    const chain = ttsProviders();
    if (!chain.some((p) => p.encodings.includes(encoding))) {
      throw new ApiError(
        415,
        "unsupported_media_type",
        `None of the configured text-to-speech providers (${chain.map((p) => p.name).join(", ") || "none"}) ` +
          `produces ${format}; ask for wav, pcm or mulaw, or configure a provider that outputs ${format}.`,
      );
    }
  }
  return { mode, format, sampleRate: q.sampleRate ?? (format === "mulaw" ? 8000 : 16000) };
}
