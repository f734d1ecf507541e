import type { ProviderModule } from "../settings";
import { cartesiaSettingsSchema, type CartesiaSettings } from "./settings";
import { CartesiaTextToSpeech } from "./tts";
import { CartesiaStreamingSynthesizer } from "./tts-stream";

/** Cartesia Sonic text to speech: batch over HTTP, streamed over its WebSocket. */
export const cartesiaModule: ProviderModule<CartesiaSettings> = {
  name: "cartesia",
  needs:
    "CARTESIA_API_KEY; optional CARTESIA_VOICE (a voice id), CARTESIA_MODEL (default sonic-3), " +
    "CARTESIA_BASE_URL, CARTESIA_TIMEOUT_MS",
  settings: cartesiaSettingsSchema,
  tts: (settings) => new CartesiaTextToSpeech(settings),
  ttsStream: (settings) => new CartesiaStreamingSynthesizer(settings),
};
