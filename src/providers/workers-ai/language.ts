import { primaryLanguage as primaryOf } from "../language";
import { NOVA3_LANGUAGES } from "./models";

/**
 * Whisper large-v3-turbo takes "an ISO 639-1 code" ("en", "es"; see the usage example at
 * https://developers.cloudflare.com/workers-ai/models/whisper-large-v3-turbo/).
 */
export { iso6391 } from "../language";

/** Nova-3's code for a BCP-47 tag: the tag itself when listed ("en-GB"), else its language ("de-AT" → "de"). */
export function novaLanguage(bcp47: string): string | undefined {
  const wanted = bcp47.trim().replace(/_/g, "-").toLowerCase();
  const exact = NOVA3_LANGUAGES.find((l) => l.toLowerCase() === wanted);
  if (exact) return exact;
  const primary = primaryOf(bcp47);
  return NOVA3_LANGUAGES.find((l) => l === primary);
}

/** Whether a request's language is the one a TTS model speaks ("en-GB" for an "en" model). */
export const speaksLanguage = (bcp47: string, language: string) => primaryOf(bcp47) === language;
