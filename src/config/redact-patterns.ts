import { z } from "zod";
import { errorMessage } from "../lib/errors";
import { jsonVar } from "./vars";

/** One operator pattern of REDACT_PATTERNS (src/security/redaction.ts applies them). */
export interface RedactPattern {
  name: string;
  /** Compiled with the flags "gi". */
  regex: RegExp;
}

export const MAX_REDACT_PATTERNS = 20;
export const MAX_REDACT_PATTERN_LENGTH = 200;
/** Built-in kinds: a pattern may not take their names (log counts would mix). */
const RESERVED_NAMES = new Set(["card", "code", "keypad"]);

const PatternEntry = z.strictObject({
  name: z
    .string()
    .regex(
      /^[A-Za-z][A-Za-z0-9_-]{0,39}$/,
      "must start with a letter and contain only letters, digits, _ and - (at most 40)",
    )
    .refine((n) => !RESERVED_NAMES.has(n.toLowerCase()), "card, code and keypad are built-in kinds"),
  pattern: z.string().min(1).max(MAX_REDACT_PATTERN_LENGTH, `must be at most ${MAX_REDACT_PATTERN_LENGTH} characters`),
});

/**
 * The REDACT_PATTERNS setting: a JSON array of {name, pattern} (regular expression sources).
 * Checked when the configuration is parsed, so a typo fails loudly with the setting's name: each
 * pattern must compile (flags are always "gi"), be at most 200 characters and not match empty text.
 * Parsed to compiled patterns; blank or unset means none.
 */
export const redactPatternsVar = jsonVar('an array of {"name", "pattern"}', [])
  .pipe(z.array(PatternEntry).max(MAX_REDACT_PATTERNS))
  .transform((entries, ctx): RedactPattern[] => {
    const compiled: RedactPattern[] = [];
    entries.forEach((entry, i) => {
      let regex: RegExp;
      try {
        regex = new RegExp(entry.pattern, "gi");
      } catch (err) {
        ctx.addIssue({
          code: "custom",
          path: [i, "pattern"],
          message: `must be a valid regular expression: ${errorMessage(err)}`,
        });
        return;
      }
      if (new RegExp(entry.pattern, "i").test("")) {
        ctx.addIssue({ code: "custom", path: [i, "pattern"], message: "must not match empty text" });
        return;
      }
      compiled.push({ name: entry.name, regex });
    });
    return compiled;
  })
  .default([]);
