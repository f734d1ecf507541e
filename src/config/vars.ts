import { z } from "zod";
import { errorMessage } from "../lib/errors";

/** A whole number setting between min and max, `fallback` when unset. */
export const intVar = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

/**
 * OTEL_EXPORTER_OTLP_HEADERS in the OpenTelemetry format: comma-separated key=value pairs, values
 * URL-encoded (e.g. "x-honeycomb-team=abc,x-honeycomb-dataset=voice"). Parsed into a record.
 */
export const otlpHeadersVar = z
  .string()
  .default("")
  .transform((raw, ctx) => {
    const headers: Record<string, string> = {};
    for (const pair of raw.split(",")) {
      if (!pair.trim()) continue;
      const eq = pair.indexOf("=");
      const key = eq > 0 ? pair.slice(0, eq).trim().toLowerCase() : "";
      if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(key)) {
        ctx.addIssue({ code: "custom", message: "must be comma-separated key=value pairs" });
        return z.NEVER;
      }
      let value = pair.slice(eq + 1).trim();
      try {
        value = decodeURIComponent(value);
      } catch {
        // Not URL-encoded: taken as it is.
      }
      headers[key] = value;
    }
    return headers;
  });

/** An optional http(s) URL; blank counts as unset. */
export const optionalUrlVar = z.preprocess(
  (v) => (typeof v === "string" ? v.trim() || undefined : v),
  z
    .string()
    .url()
    .refine((u) => /^https?:\/\//i.test(u), "must be an http(s) URL")
    .optional(),
);

/**
 * A setting holding JSON: a string (a secret or .dev.vars) is parsed, a value that is not a string
 * (wrangler.toml [vars] may hold JSON values) passes as it is, and blank text is `blank`.
 * `what` names the expected JSON in the message of a parse failure.
 */
export function jsonVar(what: string, blank: unknown) {
  return z.unknown().transform((value, ctx): unknown => {
    if (typeof value !== "string") return value;
    if (value.trim() === "") return blank;
    try {
      return JSON.parse(value);
    } catch (err) {
      ctx.addIssue({ code: "custom", message: `must be valid JSON (${what}): ${errorMessage(err)}` });
      return z.NEVER;
    }
  });
}
