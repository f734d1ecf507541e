import type { ProviderModule } from "../settings";
import { elevenLabsSettingsSchema, type ElevenLabsSettings } from "./settings";
import { ElevenLabsTextToSpeech } from "./tts";
import { ElevenLabsStreamingSynthesizer } from "./tts-stream";

/** ElevenLabs text to speech: batch and streamed, raw PCM or MP3. */
export const elevenLabsModule: ProviderModule<ElevenLabsSettings> = {
  name: "elevenlabs",
  needs:
    "ELEVENLABS_API_KEY; optional ELEVENLABS_VOICE (a voice id), ELEVENLABS_MODEL (default eleven_flash_v2_5), " +
    "ELEVENLABS_BASE_URL, ELEVENLABS_TIMEOUT_MS",
  settings: elevenLabsSettingsSchema,
  tts: (settings) => new ElevenLabsTextToSpeech(settings),
  ttsStream: (settings) => new ElevenLabsStreamingSynthesizer(settings),
};
