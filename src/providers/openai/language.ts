/**
 * The transcription endpoint takes the input language as ISO-639-1 ("en"), not BCP-47 ("en-US")
 * (https://platform.openai.com/docs/api-reference/audio/createTranscription, `language`). A tag whose
 * primary subtag is not a two-letter code ("yue", "haw") has no ISO-639-1 form: the language is then
 * left out and the model detects it, which costs some accuracy but never fails the request.
 */
export function iso6391(bcp47: string): string | undefined {
  const primary = bcp47.trim().split(/[-_]/, 1)[0]?.toLowerCase() ?? "";
  return /^[a-z]{2}$/.test(primary) ? primary : undefined;
}
