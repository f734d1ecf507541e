import { createMiddleware } from "hono/factory";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../env";
import { ApiError } from "../../lib/errors";

/**
 * Caps JSON bodies before anything parses them: the largest legitimate JSON request is a turn's
 * text or a call's metadata plus context, so anything much bigger is refused with 413 unread.
 * Audio bodies have their own limit (MAX_AUDIO_BYTES) in the audio reader.
 */
export function jsonBodyLimit() {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (!/json/i.test(c.req.header("Content-Type") ?? "")) return next();
    const cfg = c.var.config;
    const maxSize = cfg.MAX_TEXT_CHARS * 4 + cfg.MAX_CONTEXT_BYTES * 2 + 8 * 1024;
    return bodyLimit({
      maxSize,
      onError: () => {
        throw new ApiError(413, "payload_too_large", `JSON request bodies are limited to ${maxSize} bytes.`);
      },
    })(c, next);
  });
}
