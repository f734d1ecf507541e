import { PCM_DERIVED_FORMATS, type OutputFormat } from "../audio/output-format";
import type { ReplyOptions } from "../durable/call-types";
import { ApiError } from "../errors";

/** Reply settings from the query (`reply=`, `format=`, `sampleRate=`), checked before any work. */
export function replyOptions(q: { reply?: "audio" | "text" | undefined; format?: OutputFormat | undefined; sampleRate?: number | undefined }): ReplyOptions {
  const format = q.format ?? "wav";
  const mode = q.reply ?? "audio";
  if (mode === "audio" && !PCM_DERIVED_FORMATS.includes(format)) {
    throw new ApiError(
      415,
      "unsupported_media_type",
      `The configured speech engines produce ${PCM_DERIVED_FORMATS.join(", ")}; '${format}' needs a cloud TTS provider that outputs it.`,
    );
  }
  return { mode, format, sampleRate: q.sampleRate ?? (format === "mulaw" ? 8000 : 16000) };
}
