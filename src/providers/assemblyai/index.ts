import type { ProviderModule } from "../settings";
import { assemblyAiSettingsSchema, type AssemblyAiSettings } from "./settings";
import { AssemblyAiStreamingSpeechToText } from "./stt-stream";

/** AssemblyAI: Universal-Streaming recognition over a WebSocket (streaming only: STT_STREAMING_PROVIDERS). */
export const assemblyAiModule: ProviderModule<AssemblyAiSettings> = {
  name: "assemblyai",
  needs:
    "ASSEMBLYAI_API_KEY; optional ASSEMBLYAI_REGION=us|eu or ASSEMBLYAI_BASE_URL, ASSEMBLYAI_STREAMING_MODEL, " +
    "ASSEMBLYAI_TIMEOUT_MS",
  settings: assemblyAiSettingsSchema,
  sttStream: (settings) => new AssemblyAiStreamingSpeechToText(settings),
};
