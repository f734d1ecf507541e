/**
 * The SSML document Azure's text-to-speech REST API takes as its body.
 * Structure: https://learn.microsoft.com/azure/ai-services/speech-service/speech-synthesis-markup-structure
 * ("version", "xml:lang" and "xmlns" are required on <speak>; it must hold at least one <voice>).
 */

/**
 * Escapes text and attribute values. The docs require &amp; &lt; &gt; for & < > and escaping of
 * quotes (XML 1.0 Appendix D); escaping both quote kinds keeps attribute values safe whichever
 * quote delimits them, so client text can never close the <voice> element or open another.
 */
export function xmlEscape(value: string): string {
  return value.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!,
  );
}

/**
 * Characters XML 1.0 forbids anywhere in a document (C0 controls other than tab/CR/LF, lone
 * surrogates, U+FFFE/U+FFFF). They cannot be escaped, so they become spaces instead of making
 * Azure reject the whole request as malformed SSML.
 */
const XML_FORBIDDEN =
  // eslint-disable-next-line no-control-regex
  /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function buildSsml(text: string, voice: string, language: string): string {
  const spoken = xmlEscape(text.replace(XML_FORBIDDEN, " "));
  return (
    `<speak version='1.0' xmlns='http://www.w3.org/2001/10/synthesis' xml:lang='${xmlEscape(language)}'>` +
    `<voice name='${xmlEscape(voice)}'>${spoken}</voice></speak>`
  );
}
