import type { z } from "zod";
import { ApiError } from "../lib/errors";

/**
 * A provider adapter module: its settings (parsed from vars/secrets with zod when a request first
 * needs it) and the engines it builds. Registered in src/providers/registry.ts.
 */
export interface ProviderModule<S = unknown> {
  /** The name used in STT_PROVIDERS / TTS_PROVIDERS and `provider=`. */
  name: string;
  /** One line for hints and the README: what to set, e.g. "DEEPGRAM_API_KEY". */
  needs: string;
  settings: z.ZodType<S>;
  /**
   * Multi-region deployments: `list` names a comma-separated setting (e.g. AZURE_SPEECH_REGIONS)
   * whose every entry builds one engine, validated as if it were the `single` setting
   * (e.g. AZURE_SPEECH_REGION). Without `list` set, the provider serves from its one region.
   */
  regions?: { list: string; single: string };
  stt?: (settings: S, env: Env) => import("./types").SpeechToText;
  tts?: (settings: S, env: Env) => import("./types").TextToSpeech;
  /** Recognition over a WebSocket, listed in STT_STREAMING_PROVIDERS (streaming.ts); `stt` stays the fallback. */
  sttStream?: (settings: S, env: Env) => import("./streaming").StreamingSpeechToText;
  /** Synthesis that yields PCM chunks as the provider sends them (streaming.ts); `tts` stays the fallback. */
  ttsStream?: (settings: S, env: Env) => import("./streaming").StreamingTextToSpeech;
}

/**
 * Reads a provider's settings. A missing or malformed setting is a 503 problem that names the
 * setting and what it should look like, never its value (it may be a secret), and never a crash.
 */
export function readSettings<S>(module: ProviderModule<S>, env: Env): S {
  const parsed = module.settings.safeParse(env as unknown as Record<string, unknown>);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "settings"}: ${i.message}`).join("; ");
  throw new ApiError(
    503,
    "provider_misconfigured",
    `Provider '${module.name}' is configured in STT_PROVIDERS/TTS_PROVIDERS but its settings are incomplete: ` +
      `${issues}. Secrets go in with 'wrangler secret put' (or .dev.vars locally), bindings in wrangler.toml.`,
  );
}

/** A positive integer setting in milliseconds with a default, e.g. DEEPGRAM_TIMEOUT_MS. */
export function timeoutSetting(zod: typeof import("zod").z, fallback: number) {
  return zod.coerce.number().int().min(100).max(120_000).default(fallback);
}
