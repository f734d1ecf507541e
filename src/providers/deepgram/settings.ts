import { z } from "zod";
import { timeoutSetting } from "../settings";

/**
 * Deepgram settings, read from vars/secrets. DEEPGRAM_REGION picks the base URL: "global" is
 * api.deepgram.com, "eu" is the EU endpoint api.eu.deepgram.com, which serves /v1/listen and
 * /v1/speak with the same keys (https://developers.deepgram.com/reference/regional-endpoints).
 */
export const DEEPGRAM_HOSTS = { global: "api.deepgram.com", eu: "api.eu.deepgram.com" } as const;
export type DeepgramRegion = keyof typeof DEEPGRAM_HOSTS;

export const DEFAULT_STT_MODEL = "nova-3";
export const DEFAULT_TTS_MODEL = "aura-2-thalia-en";

export const deepgramSettingsSchema = z
  .object({
    DEEPGRAM_API_KEY: z
      .string({ error: "is missing: set it to a Deepgram API key (console.deepgram.com, API Keys)" })
      .trim()
      .min(1, "is empty: set it to a Deepgram API key")
      .regex(/^[\x21-\x7e]*$/, "must be the key itself, printable characters without spaces"),
    DEEPGRAM_REGION: z.enum(["global", "eu"], { error: "must be global (api.deepgram.com) or eu (api.eu.deepgram.com)" }).default("global"),
    // Model names: nova-3, nova-3-medical, nova-2-phonecall... (https://developers.deepgram.com/docs/models-languages-overview)
    DEEPGRAM_STT_MODEL: z
      .string()
      .trim()
      .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, "must be a Deepgram model name such as nova-3")
      .default(DEFAULT_STT_MODEL),
    // Aura voices are models: aura-2-thalia-en, aura-asteria-en (https://developers.deepgram.com/docs/tts-models)
    DEEPGRAM_TTS_MODEL: z
      .string()
      .trim()
      .regex(/^aura(-[a-z0-9]+){1,4}$/, "must be a Deepgram Aura voice model such as aura-2-thalia-en")
      .default(DEFAULT_TTS_MODEL),
    DEEPGRAM_TIMEOUT_MS: timeoutSetting(z, 10_000),
  })
  .transform((s) => ({
    key: s.DEEPGRAM_API_KEY,
    region: s.DEEPGRAM_REGION as DeepgramRegion,
    sttModel: s.DEEPGRAM_STT_MODEL,
    ttsModel: s.DEEPGRAM_TTS_MODEL,
    timeoutMs: s.DEEPGRAM_TIMEOUT_MS,
  }));

export type DeepgramSettings = z.output<typeof deepgramSettingsSchema>;

export interface DeepgramEngineOptions {
  /** Injected in tests; production uses the global fetch. */
  fetcher?: typeof fetch;
}

export const DEEPGRAM_PROVIDER = "deepgram";

/** "Authorization: Token YOUR_DEEPGRAM_API_KEY" (https://developers.deepgram.com/docs/pre-recorded-audio). */
export const authorization = (s: DeepgramSettings): string => `Token ${s.key}`;
