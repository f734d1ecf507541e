/**
 * Our BCP-47 language tag -> Deepgram's `language` parameter. Deepgram takes BCP-47 tags, but each
 * model accepts only certain ones ("Depending on the Model you choose only certain languages are
 * available", https://developers.deepgram.com/reference/speech-to-text/listen-pre-recorded), and an
 * unknown regional tag is a 400. So a regional tag is sent only where Nova-3 documents it
 * (models-languages-overview and the Nova-3 changelog entries, e.g.
 * https://developers.deepgram.com/changelog/2025/9/2); otherwise the bare language ("de-DE" -> "de"),
 * which every model that knows the language accepts.
 */
const REGIONAL_TAGS = new Set([
  "en-US",
  "en-AU",
  "en-GB",
  "en-IN",
  "en-NZ",
  "es-419",
  "fr-CA",
  "pt-BR",
  "pt-PT",
  "sv-SE",
  "da-DK",
  "ko-KR",
  "nl-BE",
  "de-CH",
  "zh-CN",
  "zh-TW",
  "zh-HK",
  "zh-Hans",
  "zh-Hant",
  "th-TH",
  "pa-IN",
  "gu-IN",
]);

export function deepgramLanguage(tag: string): string {
  let canonical: string;
  try {
    canonical = Intl.getCanonicalLocales(tag.trim().replace(/_/g, "-"))[0] ?? tag; // "en-us" -> "en-US"
  } catch {
    canonical = tag.trim(); // not BCP-47: sent as given, for Deepgram to accept or refuse with a 400
  }
  if (REGIONAL_TAGS.has(canonical)) return canonical;
  return canonical.split("-")[0]!.toLowerCase();
}
