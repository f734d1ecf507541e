import type { ProviderModule } from "../settings";
import { googleSettings, type GoogleSettings } from "./settings";
import { GoogleSpeechToText } from "./stt";
import { GoogleTextToSpeech } from "./tts";

/** Google Cloud Speech-to-Text v1 and Text-to-Speech v1, with an API key or a service account. */
export const googleModule: ProviderModule<GoogleSettings> = {
  name: "google",
  needs:
    "GOOGLE_API_KEY or GOOGLE_SERVICE_ACCOUNT_JSON; optional GOOGLE_LOCATION=global|us|eu, " +
    "GOOGLE_PROJECT_ID, GOOGLE_STT_MODEL, GOOGLE_TTS_VOICE, GOOGLE_TIMEOUT_MS",
  regions: { list: "GOOGLE_LOCATIONS", single: "GOOGLE_LOCATION" },
  settings: googleSettings,
  stt: (settings) => new GoogleSpeechToText(settings),
  tts: (settings) => new GoogleTextToSpeech(settings),
};
