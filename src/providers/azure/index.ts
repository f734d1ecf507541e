import type { ProviderModule } from "../settings";
import { type AzureSettings, azureSettingsSchema } from "./settings";
import { AzureSpeechToText } from "./stt";
import { AzureTextToSpeech } from "./tts";
import { AzureStreamingSynthesizer } from "./tts-stream";

/** Azure AI Speech: short-audio REST recognition and neural text to speech, in the resource's region. */
export const azureModule: ProviderModule<AzureSettings> = {
  name: "azure",
  needs: "AZURE_SPEECH_KEY, AZURE_SPEECH_REGION (e.g. eastus); optional AZURE_TTS_VOICE, AZURE_TIMEOUT_MS",
  regions: { list: "AZURE_SPEECH_REGIONS", single: "AZURE_SPEECH_REGION" },
  settings: azureSettingsSchema,
  stt: (settings) => new AzureSpeechToText(settings),
  tts: (settings) => new AzureTextToSpeech(settings),
  ttsStream: (settings) => new AzureStreamingSynthesizer(settings),
};
