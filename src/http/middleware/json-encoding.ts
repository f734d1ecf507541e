import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { ApiError } from "../../lib/errors";

/** The JSON media types the routes' validators parse (application/json, application/*+json). */
const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;

/**
 * JSON request bodies are UTF-8 (RFC 8259 §8.1), checked strictly before anything parses them:
 * a `charset` other than utf-8 is a 415, and bytes that are not UTF-8 are a 400 `invalid_json`
 * (Request.text(), which the validator uses, replaces them with U+FFFD: damaged text was stored).
 * One leading UTF-8 byte order mark is ignored, as RFC 8259 lets a parser do (TextDecoder's
 * default, as Request.text() does); a UTF-16 BOM is not UTF-8 and is refused. The checked bytes
 * become the body of `c.req.raw` again, for the validator (or a route) to read as usual.
 * Runs after jsonBodyLimit, so the body it reads is capped.
 */
export function utf8JsonBody() {
  return createMiddleware<AppEnv>(async (c, next) => {
    const contentType = c.req.header("Content-Type");
    if (!contentType) return next();
    const [mediaType = "", ...params] = contentType.split(";");
    if (!JSON_MEDIA_TYPE.test(mediaType.trim())) return next();
    if (!c.req.raw.body) return next();
    refuseOtherCharsets(contentType, params);
    const bytes = await c.req.raw.arrayBuffer();
    try {
      new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
    } catch {
      throw new ApiError(
        400,
        "invalid_json",
        "The request body is not valid UTF-8; JSON must be sent as UTF-8 (RFC 8259 §8.1).",
      );
    }
    c.req.raw = new Request(c.req.raw, { body: bytes });
    return next();
  });
}

/** 415 for a `charset` parameter that is not utf-8 (any case, quoted or not), or one given twice. */
function refuseOtherCharsets(contentType: string, params: string[]): void {
  const charsets = params
    .map((p) => p.split("="))
    .filter(([name]) => name?.trim().toLowerCase() === "charset")
    .map(([, ...value]) =>
      value
        .join("=")
        .trim()
        .replace(/^"(.*)"$/, "$1")
        .toLowerCase(),
    );
  if (charsets.length === 0 || (charsets.length === 1 && charsets[0] === "utf-8")) return;
  const shown = contentType.length > 80 ? `${contentType.slice(0, 77)}...` : contentType;
  throw new ApiError(
    415,
    "unsupported_media_type",
    `Content-Type '${shown}' is not accepted: JSON bodies are UTF-8 only; send ` +
      "'application/json' or 'application/json; charset=utf-8'.",
  );
}
