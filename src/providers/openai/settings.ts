import { z } from "zod";
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
/** Plain http is only acceptable to a server on this machine (a self-hosted dev server). */
const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** `.dev.vars` lines like `OPENAI_API_KEY=` mean "not set", not "set to nothing". */
const blankAsUnset = (value: unknown) => (typeof value === "string" && value.trim() === "" ? undefined : value);

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

/**
 * Validates OPENAI_BASE_URL and normalises it to origin + path prefix. Issue messages never quote
 * the value: a mistyped URL may carry credentials.
 */
function normaliseBaseUrl(value: string, ctx: z.RefinementCtx): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: "custom", message: "must be an absolute URL such as https://api.openai.com" });
    return z.NEVER;
  }
  const loopback = LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    ctx.addIssue({ code: "custom", message: "must be an https URL (plain http is allowed only for localhost or 127.0.0.1)" });
  }
  if (url.username || url.password) {
    ctx.addIssue({ code: "custom", message: "must not contain credentials; put the key in OPENAI_API_KEY" });
  }
  if (url.search || url.hash || value.includes("?") || value.includes("#")) {
    ctx.addIssue({ code: "custom", message: "must not have a query string or fragment" });
  }
  // OpenAI's SDKs take a base URL ending in /v1; accept that spelling and append /v1 ourselves.
  const path = url.pathname.replace(/\/+$/, "").replace(/\/v1$/, "");
  return `${url.origin}${path}`;
}

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
    OPENAI_BASE_URL: z.preprocess(blankAsUnset, z.string().trim().default(OPENAI_DEFAULT_BASE_URL).transform(normaliseBaseUrl)),
    OPENAI_STT_MODEL: name("gpt-4o-mini-transcribe"),
    OPENAI_TTS_MODEL: name("gpt-4o-mini-tts"),
    OPENAI_TTS_VOICE: name("alloy"),
    OPENAI_TIMEOUT_MS: timeoutSetting(z, 10_000),
  })
  .superRefine((s, ctx) => {
    if (!s.OPENAI_API_KEY && new URL(s.OPENAI_BASE_URL).hostname === OPENAI_HOST) {
      ctx.addIssue({
        code: "custom",
        path: ["OPENAI_API_KEY"],
        message: "is required for api.openai.com (it may be omitted only for a self-hosted server set in OPENAI_BASE_URL)",
      });
    }
  })
  .transform(
    (s): OpenAiSettings => ({
      apiKey: s.OPENAI_API_KEY,
      baseUrl: s.OPENAI_BASE_URL,
      sttModel: s.OPENAI_STT_MODEL,
      ttsModel: s.OPENAI_TTS_MODEL,
      ttsVoice: s.OPENAI_TTS_VOICE,
      timeoutMs: s.OPENAI_TIMEOUT_MS,
    }),
  );

/** The endpoint id reported as `region`: the configured host ("api.openai.com", "localhost:8000"). */
export function endpointId(settings: OpenAiSettings): string {
  return new URL(settings.baseUrl).host;
}

/** The Authorization header, when a key is configured (https://platform.openai.com/docs/api-reference/authentication). */
export function authHeaders(settings: OpenAiSettings): Record<string, string> {
  return settings.apiKey ? { Authorization: `Bearer ${settings.apiKey}` } : {};
}
