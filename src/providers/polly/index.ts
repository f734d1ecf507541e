import type { ProviderModule } from "../settings";
import { PollySpeechSynthesizer } from "./tts";
import { PollyStreamingSynthesizer } from "./tts-stream";
import { pollySettingsSchema, type PollySettings } from "./settings";

/** Amazon Polly text-to-speech (AWS SDK v3, SigV4 with credentials from secrets only). */
export const pollyModule: ProviderModule<PollySettings> = {
  name: "polly",
  needs:
    "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY; optional AWS_SESSION_TOKEN, POLLY_REGION=us-east-1, " +
    "POLLY_VOICE=Joanna, POLLY_ENGINE=neural (standard|neural|long-form|generative), POLLY_ENDPOINT, " +
    "POLLY_TIMEOUT_MS=10000",
  regions: { list: "POLLY_REGIONS", single: "POLLY_REGION" },
  settings: pollySettingsSchema,
  tts: (settings) => new PollySpeechSynthesizer(settings),
  ttsStream: (settings) => new PollyStreamingSynthesizer(settings),
};
