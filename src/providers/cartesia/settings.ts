import { z } from "zod";
import { baseUrlFromSetting, blankAsUnset, endpointId } from "../base-url";
import { timeoutSetting } from "../settings";

/**
 * Cartesia settings, read from vars/secrets. Requests carry `Authorization: Bearer <key>` and the
 * API version they were written against (`Cartesia-Version`; https://docs.cartesia.ai/api-reference,
 * "API Conventions").
 */
export const CARTESIA_PROVIDER = "cartesia";
export const CARTESIA_DEFAULT_BASE_URL = "https://api.cartesia.ai";
/** The API version these adapters follow (https://docs.cartesia.ai/2026-03-01/api-reference/tts/websocket). */
export const CARTESIA_VERSION = "2026-03-01";
/** The voice of Cartesia's API reference examples. */
export const DEFAULT_CARTESIA_VOICE = "a0e99841-438c-4a64-b679-ae501e7d6091";
export const DEFAULT_CARTESIA_MODEL = "sonic-3";

/** Voice ids are UUIDs; anything else is refused before it reaches a request. */
export const VOICE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const URL_RULES = { example: CARTESIA_DEFAULT_BASE_URL, keySetting: "CARTESIA_API_KEY" };

export const cartesiaSettingsSchema = z
  .object({
    CARTESIA_API_KEY: z
      .string({ error: "is missing: set it to a Cartesia API key (play.cartesia.ai/keys)" })
      .trim()
      .min(1, "is empty: set it to a Cartesia API key")
      .regex(/^[\x21-\x7e]+$/, "must be the key itself, printable characters without spaces"),
    CARTESIA_BASE_URL: z.preprocess(blankAsUnset, z.string().trim().optional()).meta({
      description: "A Cartesia host to call instead of https://api.cartesia.ai (a proxy, say).",
    }),
    CARTESIA_VOICE: z.preprocess(
      blankAsUnset,
      z
        .string()
        .trim()
        .regex(VOICE_ID, "must be a Cartesia voice id (a UUID such as a0e99841-438c-4a64-b679-ae501e7d6091)")
        .default(DEFAULT_CARTESIA_VOICE),
    ),
    CARTESIA_MODEL: z.preprocess(
      blankAsUnset,
      z
        .string()
        .trim()
        .regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, "must be a Cartesia model id such as sonic-3")
        .default(DEFAULT_CARTESIA_MODEL),
    ),
    CARTESIA_TIMEOUT_MS: z.preprocess(blankAsUnset, timeoutSetting(z, 10_000)).meta({
      description:
        "Time limit of one batch request, in ms; streamed, of the wait for the answer and then for each piece of " +
        "audio (a long text may take longer to speak). The stage's deadline may end either sooner.",
    }),
  })
  .transform((s, ctx) => {
    const baseUrl = baseUrlFromSetting(
      s.CARTESIA_BASE_URL ?? CARTESIA_DEFAULT_BASE_URL,
      ctx,
      "CARTESIA_BASE_URL",
      URL_RULES,
    );
    if (baseUrl === undefined) return z.NEVER;
    return {
      key: s.CARTESIA_API_KEY,
      /** Origin plus optional path prefix: the adapters append "/tts/bytes" and "/tts/websocket". */
      baseUrl,
      region: endpointId(baseUrl),
      voice: s.CARTESIA_VOICE,
      model: s.CARTESIA_MODEL,
      timeoutMs: s.CARTESIA_TIMEOUT_MS,
    };
  });

export type CartesiaSettings = z.output<typeof cartesiaSettingsSchema>;

export interface CartesiaOptions {
  /** Injected in tests; production uses the global fetch (which also opens the WebSocket). */
  fetcher?: typeof fetch;
}

export const authHeaders = (s: CartesiaSettings): Record<string, string> => ({
  Authorization: `Bearer ${s.key}`,
  "Cartesia-Version": CARTESIA_VERSION,
});

/** Output sample rates Cartesia takes for raw and wav containers (same reference, `output_format`). */
const RATES = [8000, 16000, 22050, 24000, 44100, 48000];

/** The requested rate when Cartesia has it, else 24 kHz (resampled by the caller). */
export const cartesiaRate = (requested: number): number => (RATES.includes(requested) ? requested : 24000);

/** Cartesia's `language` (ISO 639-1): the primary subtag of the request's BCP 47 tag, when it is one. */
export function cartesiaLanguage(tag: string): string | undefined {
  const primary = tag.split("-")[0]?.toLowerCase() ?? "";
  return /^[a-z]{2}$/.test(primary) ? primary : undefined;
}
