import { z } from "zod";
import { timeoutSetting } from "../settings";

/**
 * Azure AI Speech settings, read from vars/secrets. The key is a secret; the region is the
 * lower-case region id of the Speech resource (it is part of both hostnames, so it is validated
 * strictly: a value like "East US" or "eastus.evil.com" must never reach a URL).
 * Region ids: https://learn.microsoft.com/azure/ai-services/speech-service/regions
 */
export const DEFAULT_AZURE_VOICE = "en-US-AvaMultilingualNeural";

export const azureSettingsSchema = z
  .object({
    AZURE_SPEECH_KEY: z
      .string({ error: "is missing: set it to the Speech resource key (Keys and Endpoint in the Azure portal)" })
      .trim()
      .min(1, "is empty: set it to the Speech resource key")
      .regex(/^[\x21-\x7e]*$/, "must be the key itself, printable characters without spaces"),
    AZURE_SPEECH_REGION: z
      .string({ error: "is missing: set it to the Speech resource's region id, e.g. eastus or westeurope" })
      .trim()
      .regex(/^[a-z]{4,30}[0-9]?$/, "must be a lower-case Azure region id such as eastus, westeurope or eastus2"),
    AZURE_TTS_VOICE: z
      .string()
      .trim()
      // Voice short names: en-US-AvaMultilingualNeural, zh-CN-shaanxi-XiaoniNeural, en-US-Ava:DragonHDLatestNeural.
      .regex(
        /^[a-z]{2,3}-[A-Za-z0-9]{2,8}(-[A-Za-z0-9]+)+(:[A-Za-z0-9]+)?$/,
        "must be an Azure voice short name such as en-US-AvaMultilingualNeural",
      )
      .default(DEFAULT_AZURE_VOICE),
    AZURE_TIMEOUT_MS: timeoutSetting(z, 10_000),
  })
  .transform((s) => ({
    key: s.AZURE_SPEECH_KEY,
    region: s.AZURE_SPEECH_REGION,
    voice: s.AZURE_TTS_VOICE,
    timeoutMs: s.AZURE_TIMEOUT_MS,
  }));

export type AzureSettings = z.output<typeof azureSettingsSchema>;

export interface AzureEngineOptions {
  /** Injected in tests; production uses the global fetch. */
  fetcher?: typeof fetch;
}

export const AZURE_PROVIDER = "azure";
