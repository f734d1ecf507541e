/**
 * Reply templates: "Your balance is {{context.balance|not available}}."
 *
 * A placeholder is a dotted path into the data (`slots.x`, `context.a.b`) with an optional
 * default after "|". Replies are spoken, so rendering must never fail mid-call: a missing,
 * empty or non-scalar value renders as the default (or nothing), and a malformed placeholder
 * is left as literal text. Output is plain text for TTS, so nothing is escaped.
 */

export type TemplateData = Readonly<Record<string, unknown>>;

const PLACEHOLDER = /\{\{\s*([^{}|]*?)\s*(?:\|([^{}]*))?\}\}/g;

/** Reads a dotted path using own properties only, so "constructor" or "__proto__" never leak. */
export function lookup(data: unknown, path: string): unknown {
  let value: unknown = data;
  for (const key of path.split(".")) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function toText(value: unknown): string | undefined {
  if (typeof value === "string") return value.length > 0 ? value : undefined;
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value === "boolean" || typeof value === "bigint") return String(value);
  return undefined; // null, undefined, objects and arrays have no spoken form
}

/** Renders `template` against `data`; never throws. */
export function renderTemplate(template: string, data: TemplateData): string {
  let emptied = false;
  const rendered = template.replace(PLACEHOLDER, (_match, path: string, fallback: string | undefined) => {
    const text = path.length > 0 ? toText(lookup(data, path)) : undefined;
    const out = text ?? fallback?.trim() ?? "";
    if (out === "") emptied = true;
    return out;
  });
  // An empty placeholder would leave "Hello , welcome" or double spaces for the TTS to read.
  return emptied
    ? rendered
        .replace(/ {2,}/g, " ")
        .replace(/ ([,.?!;:])/g, "$1")
        .trim()
    : rendered;
}

/** The placeholder paths in a template ("slots.amount"), for validating flows. */
export function referencedPaths(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1] ?? "");
}
