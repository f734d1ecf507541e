import type { ProviderModule } from "../settings";
import { type DeepgramSettings, deepgramSettingsSchema } from "./settings";
import { DeepgramSpeechToText } from "./stt";
import { DeepgramStreamingSpeechToText } from "./stt-stream";
import { DeepgramTextToSpeech } from "./tts";
import { DeepgramStreamingSynthesizer } from "./tts-stream";

/**
 * Deepgram: Nova pre-recorded recognition, Nova or Flux streaming recognition and Aura text to speech, on the global
 * or the EU endpoint, or self-hosted.
 */
export const deepgramModule: ProviderModule<DeepgramSettings> = {
  name: "deepgram",
  needs:
    "DEEPGRAM_API_KEY (optional only for a self-hosted server); optional " +
    "DEEPGRAM_REGION=eu or DEEPGRAM_BASE_URL (Deepgram self-hosted, e.g. " +
    "http://localhost:8080), DEEPGRAM_STT_MODEL, DEEPGRAM_TTS_MODEL, DEEPGRAM_TIMEOUT_MS; for streaming, " +
    "DEEPGRAM_STREAMING_MODEL, DEEPGRAM_EOT_THRESHOLD, DEEPGRAM_EAGER_EOT_THRESHOLD",
  regions: { list: "DEEPGRAM_REGIONS", single: "DEEPGRAM_REGION" },
  settings: deepgramSettingsSchema,
  stt: (settings) => new DeepgramSpeechToText(settings),
  tts: (settings) => new DeepgramTextToSpeech(settings),
  sttStream: (settings) => new DeepgramStreamingSpeechToText(settings),
  ttsStream: (settings) => new DeepgramStreamingSynthesizer(settings),
};
