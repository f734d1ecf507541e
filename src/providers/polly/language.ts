import { LanguageCode } from "@aws-sdk/client-polly";

/**
 * Polly's LanguageCode takes only its own list of values ("en-US", "cmn-CN", "arb", "en-GB-WLS",
 * …) and is only needed for bilingual voices; without it Polly speaks the voice's default
 * language. https://docs.aws.amazon.com/polly/latest/dg/API_SynthesizeSpeech.html (LanguageCode)
 * So a tag Polly lists is sent in Polly's spelling, and anything else is left out rather than
 * turned into a ValidationException.
 */
const KNOWN = new Map<string, string>(Object.values(LanguageCode).map((code) => [code.toLowerCase(), code]));

export function pollyLanguage(tag: string): string | undefined {
  return KNOWN.get(tag.trim().replace(/_/g, "-").toLowerCase());
}
