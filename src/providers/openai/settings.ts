import { z } from "zod";
import { baseUrlFromList, baseUrlFromSetting, blankAsUnset, endpointId as baseEndpointId } from "../base-url";
import { timeoutSetting } from "../settings";

/**
 * Settings of the OpenAI-compatible adapter. The same wire format is served by api.openai.com and
 * by self-hosted Whisper/TTS servers (speaches, LocalAI, Kokoro-FastAPI...), so the base URL is
 * configurable and the key is optional for anything that is not api.openai.com.
 */
export interface OpenAiSettings {
  /** Absent only for self-hosted servers (never for api.openai.com). */
  apiKey: string | undefined;
  /** Origin plus optional path prefix, no trailing slash and no "/v1": the adapter appends "/v1/audio/...". */
  baseUrl: string;
  sttModel: string;
  ttsModel: string;
  ttsVoice: string;
  timeoutMs: number;
}

export const OPENAI_DEFAULT_BASE_URL = "https://api.openai.com";
const OPENAI_HOST = "api.openai.com";
const URL_RULES = { example: "https://api.openai.com", keySetting: "OPENAI_API_KEY" };

/** Model and voice names: OpenAI's ("gpt-4o-mini-tts") and self-hosted ones ("Systran/faster-whisper-small"). */
const name = (fallback: string) =>
  z.preprocess(
    blankAsUnset,
    z
      .string()
      .trim()
      .max(200, "must be at most 200 characters")
      .regex(/^[\w.:/@+-]+$/, "must be a model or voice name (letters, digits and . _ - : / @ +)")
      .default(fallback),
  );

const optionalText = z.preprocess(blankAsUnset, z.string().trim().optional());

/**
 * OPENAI_BASE_URL is one endpoint (default api.openai.com). OPENAI_BASE_URLS, comma-separated,
 * lists several (e.g. the same self-hosted server in two places): the registry builds one engine per
 * entry, each its own "region" with its own breaker, so a failing endpoint fails over to the next
 * one before the next provider. When OPENAI_BASE_URLS is set it wins: the registry hands each
 * engine its entry through OPENAI_BASE_URL (see ProviderModule.regions).
 */
export const openAiSettingsSchema = z
  .object({
    OPENAI_API_KEY: z.preprocess(
      blankAsUnset,
      z
        .string()
        .trim()
        .regex(/^[\x21-\x7e]+$/, "must be one token of printable ASCII characters (no spaces or quotes around it)")
        .optional(),
    ),
    OPENAI_BASE_URL: optionalText.meta({
      description: "An OpenAI-compatible server to call instead of https://api.openai.com (https; a self-hosted one).",
    }),
    OPENAI_BASE_URLS: optionalText,
    OPENAI_STT_MODEL: name("gpt-4o-mini-transcribe"),
    OPENAI_TTS_MODEL: name("gpt-4o-mini-tts"),
    OPENAI_TTS_VOICE: name("alloy"),
    OPENAI_TIMEOUT_MS: timeoutSetting(z, 10_000),
  })
  .transform((s, ctx): OpenAiSettings => {
    const baseUrl = s.OPENAI_BASE_URLS
      ? baseUrlFromList(s.OPENAI_BASE_URLS, s.OPENAI_BASE_URL, ctx, "OPENAI_BASE_URLS", URL_RULES)
      : baseUrlFromSetting(s.OPENAI_BASE_URL ?? OPENAI_DEFAULT_BASE_URL, ctx, "OPENAI_BASE_URL", URL_RULES);
    if (baseUrl === undefined) return z.NEVER;
    if (!s.OPENAI_API_KEY && new URL(baseUrl).hostname === OPENAI_HOST) {
      ctx.addIssue({
        code: "custom",
        path: ["OPENAI_API_KEY"],
        message:
          "is required for api.openai.com (it may be omitted only for a " +
          "self-hosted server set in OPENAI_BASE_URL or OPENAI_BASE_URLS)",
      });
      return z.NEVER;
    }
    return {
      apiKey: s.OPENAI_API_KEY,
      baseUrl,
      sttModel: s.OPENAI_STT_MODEL,
      ttsModel: s.OPENAI_TTS_MODEL,
      ttsVoice: s.OPENAI_TTS_VOICE,
      timeoutMs: s.OPENAI_TIMEOUT_MS,
    };
  });

/**
 * The endpoint id reported as `region`: the configured host ("api.openai.com", "localhost:8000"), plus any path prefix.
 */
export function endpointId(settings: OpenAiSettings): string {
  return baseEndpointId(settings.baseUrl);
}

/**
 * The Authorization header, when a key is configured (https://platform.openai.com/docs/api-reference/authentication).
 */
export function authHeaders(settings: OpenAiSettings): Record<string, string> {
  return settings.apiKey ? { Authorization: `Bearer ${settings.apiKey}` } : {};
}
