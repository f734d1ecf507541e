/**
 * The transcription endpoint takes the input language as ISO-639-1 ("en"), not BCP-47 ("en-US")
 * (https://platform.openai.com/docs/api-reference/audio/createTranscription, `language`).
 */
export { iso6391 } from "../language";
