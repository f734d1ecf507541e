import type { ProviderModule } from "../settings";
import { openAiSettingsSchema, type OpenAiSettings } from "./settings";
import { OpenAiSpeechToText } from "./stt";
import { OpenAiSpeechSynthesizer } from "./tts";

/** OpenAI's audio API, or any server that speaks it (self-hosted Whisper/TTS). */
export const openaiModule: ProviderModule<OpenAiSettings> = {
  name: "openai",
  needs:
    "OPENAI_API_KEY (optional only for a self-hosted server); optional OPENAI_BASE_URL (https, default https://api.openai.com), OPENAI_STT_MODEL, OPENAI_TTS_MODEL, OPENAI_TTS_VOICE, OPENAI_TIMEOUT_MS",
  settings: openAiSettingsSchema,
  stt: (settings) => new OpenAiSpeechToText(settings),
  tts: (settings) => new OpenAiSpeechSynthesizer(settings),
};
