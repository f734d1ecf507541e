import { z } from "zod";
import { baseUrlFromSetting, blankAsUnset, endpointId } from "../base-url";
import { timeoutSetting } from "../settings";

/**
 * ElevenLabs settings, read from vars/secrets. The key goes in the `xi-api-key` header
 * (https://elevenlabs.io/docs/api-reference/authentication). ELEVENLABS_BASE_URL points the adapter at
 * another ElevenLabs host (a data-residency one, or a proxy); its host becomes the engine's region.
 */
export const ELEVENLABS_PROVIDER = "elevenlabs";
export const ELEVENLABS_DEFAULT_BASE_URL = "https://api.elevenlabs.io";
/** "George", the premade voice of ElevenLabs' API reference examples. */
export const DEFAULT_ELEVENLABS_VOICE = "JBFqnCBsd6RMkjVDRZzb";
/** The low-latency model ElevenLabs recommends for real-time use (https://elevenlabs.io/docs/models). */
export const DEFAULT_ELEVENLABS_MODEL = "eleven_flash_v2_5";

/** Voice ids are short alphanumeric strings; anything else must not reach the URL path. */
export const VOICE_ID = /^[A-Za-z0-9]{8,64}$/;

const URL_RULES = { example: ELEVENLABS_DEFAULT_BASE_URL, keySetting: "ELEVENLABS_API_KEY" };

export const elevenLabsSettingsSchema = z
  .object({
    ELEVENLABS_API_KEY: z
      .string({ error: "is missing: set it to an ElevenLabs API key (elevenlabs.io, Developers, API Keys)" })
      .trim()
      .min(1, "is empty: set it to an ElevenLabs API key")
      .regex(/^[\x21-\x7e]+$/, "must be the key itself, printable characters without spaces"),
    ELEVENLABS_BASE_URL: z.preprocess(blankAsUnset, z.string().trim().optional()).meta({
      description: "An ElevenLabs host to call instead of https://api.elevenlabs.io (e.g. a data-residency one).",
    }),
    ELEVENLABS_VOICE: z.preprocess(
      blankAsUnset,
      z
        .string()
        .trim()
        .regex(VOICE_ID, "must be an ElevenLabs voice id such as JBFqnCBsd6RMkjVDRZzb")
        .default(DEFAULT_ELEVENLABS_VOICE),
    ),
    ELEVENLABS_MODEL: z.preprocess(
      blankAsUnset,
      z
        .string()
        .trim()
        .regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, "must be an ElevenLabs model id such as eleven_flash_v2_5")
        .default(DEFAULT_ELEVENLABS_MODEL),
    ),
    ELEVENLABS_TIMEOUT_MS: z.preprocess(blankAsUnset, timeoutSetting(z, 10_000)).meta({
      description:
        "Time limit of one batch request, in ms; streamed, of the wait for the answer and then for each piece of " +
        "audio (a long text may take longer to speak). The stage's deadline may end either sooner.",
    }),
  })
  .transform((s, ctx) => {
    const baseUrl = baseUrlFromSetting(
      s.ELEVENLABS_BASE_URL ?? ELEVENLABS_DEFAULT_BASE_URL,
      ctx,
      "ELEVENLABS_BASE_URL",
      URL_RULES,
    );
    if (baseUrl === undefined) return z.NEVER;
    return {
      key: s.ELEVENLABS_API_KEY,
      /** Origin plus optional path prefix: the adapter appends "/v1/text-to-speech/...". */
      baseUrl,
      region: endpointId(baseUrl),
      voice: s.ELEVENLABS_VOICE,
      model: s.ELEVENLABS_MODEL,
      timeoutMs: s.ELEVENLABS_TIMEOUT_MS,
    };
  });

export type ElevenLabsSettings = z.output<typeof elevenLabsSettingsSchema>;

export interface ElevenLabsOptions {
  /** Injected in tests; production uses the global fetch. */
  fetcher?: typeof fetch;
}

export const authHeaders = (s: ElevenLabsSettings): Record<string, string> => ({ "xi-api-key": s.key });
