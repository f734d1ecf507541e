import type { ProviderModule } from "../settings";
import { workersAiSettingsSchema, type WorkersAiSettings } from "./settings";
import { WorkersAiSpeechToText } from "./stt";
import { WorkersAiStreamingSpeechToText } from "./stt-stream";
import { WorkersAiSpeechSynthesizer } from "./tts";

/**
 * Cloudflare Workers AI through the `AI` binding: Whisper / Nova-3 for speech, Flux / Nova-3 over the binding's
 * WebSocket for streaming speech, Deepgram Aura for voice.
 */
export const workersAiModule: ProviderModule<WorkersAiSettings> = {
  name: "workers-ai",
  needs:
    'an [ai] binding named AI in wrangler.toml ([ai] binding = "AI"); optional ' +
    "WORKERS_AI_STT_MODEL, WORKERS_AI_TTS_MODEL, WORKERS_AI_TTS_VOICE, WORKERS_AI_TIMEOUT_MS; for streaming, " +
    "WORKERS_AI_STT_STREAMING_MODEL, WORKERS_AI_EOT_THRESHOLD, WORKERS_AI_EAGER_EOT_THRESHOLD",
  settings: workersAiSettingsSchema,
  stt: (settings) => new WorkersAiSpeechToText(settings),
  tts: (settings) => new WorkersAiSpeechSynthesizer(settings),
  sttStream: (settings) => new WorkersAiStreamingSpeechToText(settings),
};
