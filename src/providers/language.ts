/** BCP-47 helpers shared by adapters whose APIs take plainer language codes. */

/** The primary language subtag, lower-cased: "en-US" → "en", "yue-HK" → "yue". */
export const primaryLanguage = (bcp47: string): string => bcp47.trim().split(/[-_]/, 1)[0]?.toLowerCase() ?? "";

/**
 * ISO-639-1 ("en") for APIs that take it instead of BCP-47 (OpenAI transcriptions, Whisper on
 * Workers AI). A tag with no two-letter primary subtag ("yue", "haw") has no ISO-639-1 form: the
 * caller leaves the language out and the model detects it, costing some accuracy, never failing.
 */
export function iso6391(bcp47: string): string | undefined {
  const primary = primaryLanguage(bcp47);
  return /^[a-z]{2}$/.test(primary) ? primary : undefined;
}
