import { z } from "zod";
import { baseUrlFromSetting, blankAsUnset, endpointId } from "../base-url";
import { timeoutSetting } from "../settings";

/**
 * AssemblyAI settings, read from vars/secrets. The streaming API (Universal-Streaming, v3) is
 * served at streaming.assemblyai.com, which routes each session to the nearest of Oregon, Virginia
 * and Ireland (no residency), and at streaming.us.assemblyai.com and streaming.eu.assemblyai.com,
 * which keep the audio in the US or the EU, with the same keys
 * (https://www.assemblyai.com/docs/streaming/endpoints-and-data-zones). ASSEMBLYAI_BASE_URL
 * points at another host instead (a proxy, or AssemblyAI's self-hosted streaming), and wins over
 * ASSEMBLYAI_REGION; its host becomes the engine's region.
 */
export const ASSEMBLYAI_HOSTS = {
  global: "streaming.assemblyai.com",
  us: "streaming.us.assemblyai.com",
  eu: "streaming.eu.assemblyai.com",
} as const;
export type AssemblyAiRegion = keyof typeof ASSEMBLYAI_HOSTS;

/**
 * The streaming model: a connection without `speech_model` is refused ("There is no default
 * model", https://www.assemblyai.com/docs/streaming/universal-streaming).
 */
export const DEFAULT_STREAMING_MODEL = "universal-streaming-english";

const URL_RULES = { example: "https://streaming.assemblyai.com", keySetting: "ASSEMBLYAI_API_KEY" };

export const assemblyAiSettingsSchema = z
  .object({
    ASSEMBLYAI_API_KEY: z.preprocess(
      blankAsUnset,
      z
        .string({ error: "is missing: set it to an AssemblyAI API key (assemblyai.com/app, API Keys)" })
        .trim()
        .regex(/^[\x21-\x7e]+$/, "must be the key itself, printable characters without spaces"),
    ),
    ASSEMBLYAI_REGION: z
      .enum(["global", "us", "eu"], {
        error:
          "must be global (streaming.assemblyai.com, the nearest region), us (streaming.us.assemblyai.com) " +
          "or eu (streaming.eu.assemblyai.com)",
      })
      .default("global"),
    ASSEMBLYAI_BASE_URL: z.preprocess(blankAsUnset, z.string().trim().optional()).meta({
      description: "Another streaming host to call instead of AssemblyAI's (a proxy or self-hosted streaming).",
    }),
    ASSEMBLYAI_STREAMING_MODEL: z
      .string()
      .trim()
      .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, "must be an AssemblyAI streaming model such as universal-streaming-english")
      .default(DEFAULT_STREAMING_MODEL)
      .meta({
        description:
          "The streaming model (`speech_model`): `universal-streaming-english`, or " +
          "`universal-streaming-multilingual` (English, Spanish, French, German, Italian, Portuguese).",
      }),
    ASSEMBLYAI_TIMEOUT_MS: timeoutSetting(z, 10_000),
  })
  .transform((s, ctx) => {
    let baseUrl = `https://${ASSEMBLYAI_HOSTS[s.ASSEMBLYAI_REGION]}`;
    let region: string = s.ASSEMBLYAI_REGION;
    if (s.ASSEMBLYAI_BASE_URL !== undefined) {
      const url = baseUrlFromSetting(s.ASSEMBLYAI_BASE_URL, ctx, "ASSEMBLYAI_BASE_URL", URL_RULES);
      if (url === undefined) return z.NEVER;
      const cloud = (Object.keys(ASSEMBLYAI_HOSTS) as AssemblyAiRegion[]).find(
        (r) => url === `https://${ASSEMBLYAI_HOSTS[r]}`,
      );
      baseUrl = url;
      region = cloud ?? endpointId(url);
    }
    return {
      key: s.ASSEMBLYAI_API_KEY,
      /** "global", "us", "eu", or another host's id. */
      region,
      /** https origin plus optional path prefix: the socket is opened with a fetch to `${baseUrl}/v3/ws`. */
      baseUrl,
      streamModel: s.ASSEMBLYAI_STREAMING_MODEL,
      timeoutMs: s.ASSEMBLYAI_TIMEOUT_MS,
    };
  });

export type AssemblyAiSettings = z.output<typeof assemblyAiSettingsSchema>;

export const ASSEMBLYAI_PROVIDER = "assemblyai";
