import type { ProviderModule } from "../settings";
import { openAiSettingsSchema, type OpenAiSettings } from "./settings";
import { OpenAiSpeechToText } from "./stt";
import { OpenAiSpeechSynthesizer } from "./tts";
import { OpenAiStreamingSynthesizer } from "./tts-stream";

/** OpenAI's audio API, or any server that speaks it (self-hosted Whisper/TTS). */
export const openaiModule: ProviderModule<OpenAiSettings> = {
  name: "openai",
  needs:
    "OPENAI_API_KEY (optional only for a self-hosted server); optional OPENAI_BASE_URL (https, " +
    "default https://api.openai.com) or OPENAI_BASE_URLS (comma-separated, one engine each), " +
    "OPENAI_STT_MODEL, OPENAI_TTS_MODEL, OPENAI_TTS_VOICE, OPENAI_TIMEOUT_MS",
  // Each endpoint of OPENAI_BASE_URLS is a "region": its own engine, breaker and place in the failover order.
  regions: { list: "OPENAI_BASE_URLS", single: "OPENAI_BASE_URL" },
  settings: openAiSettingsSchema,
  stt: (settings) => new OpenAiSpeechToText(settings),
  tts: (settings) => new OpenAiSpeechSynthesizer(settings),
  ttsStream: (settings) => new OpenAiStreamingSynthesizer(settings),
};
