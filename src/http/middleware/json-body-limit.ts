import { createMiddleware } from "hono/factory";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../env";
import { ApiError } from "../../lib/errors";

/**
 * An agent definition's JSON: 20,000 characters of instructions (up to 80 KB of UTF-8), a flow,
 * up to 32 tools with their JSON Schemas. More than a call's context, and a fixed cap, as the
 * definition's own limits are (src/agents/definition.ts).
 */
export const MAX_AGENT_JSON_BYTES = 256 * 1024;

/**
 * Caps JSON bodies before anything parses them: the largest legitimate JSON request is a turn's
 * text or a call's metadata plus context (an agent definition under /api/v1/agents: its own cap),
 * so anything much bigger is refused with 413 unread. Audio bodies have their own limit
 * (MAX_AUDIO_BYTES) in the audio reader.
 */
export function jsonBodyLimit() {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (!/json/i.test(c.req.header("Content-Type") ?? "")) return next();
    const cfg = c.var.config;
    const general = cfg.MAX_TEXT_CHARS * 4 + cfg.MAX_CONTEXT_BYTES * 2 + 8 * 1024;
    const maxSize = c.req.path.startsWith("/api/v1/agents/") ? Math.max(general, MAX_AGENT_JSON_BYTES) : general;
    return bodyLimit({
      maxSize,
      onError: () => {
        throw new ApiError(413, "payload_too_large", `JSON request bodies are limited to ${maxSize} bytes.`);
      },
    })(c, next);
  });
}
