import { z } from "zod";
import { baseUrlFromSetting, blankAsUnset, endpointId } from "../base-url";
import { timeoutSetting } from "../settings";

/**
 * Deepgram settings, read from vars/secrets. DEEPGRAM_REGION picks Deepgram's cloud endpoint:
 * "global" is api.deepgram.com, "eu" is api.eu.deepgram.com, which serves /v1/listen and /v1/speak
 * with the same keys (https://developers.deepgram.com/reference/regional-endpoints).
 *
 * DEEPGRAM_BASE_URL points the adapter at Deepgram self-hosted instead, which serves the same
 * /v1/listen and /v1/speak on the deployer's own host (http://localhost:8080 in development;
 * https://developers.deepgram.com/docs/using-sdks-with-self-hosted). It wins over DEEPGRAM_REGION:
 * a self-hosted server is one endpoint, whose id ("localhost:8080") becomes the engine's region.
 * It cannot be combined with DEEPGRAM_REGIONS, which would build several engines for that one
 * endpoint. Self-hosted servers do not check Deepgram API keys, so the key is optional there (and
 * sent when set, for a proxy that wants it); the cloud endpoints need it.
 */
export const DEEPGRAM_HOSTS = { global: "api.deepgram.com", eu: "api.eu.deepgram.com" } as const;
export type DeepgramRegion = keyof typeof DEEPGRAM_HOSTS;

export const DEFAULT_STT_MODEL = "nova-3";
export const DEFAULT_TTS_MODEL = "aura-2-thalia-en";
const URL_RULES = { example: "http://localhost:8080 (Deepgram self-hosted)", keySetting: "DEEPGRAM_API_KEY" };
const MISSING_KEY = "is missing: set it to a Deepgram API key (console.deepgram.com, API Keys)";

export const deepgramSettingsSchema = z
  .object({
    DEEPGRAM_API_KEY: z.preprocess(
      blankAsUnset,
      z
        .string()
        .trim()
        .regex(/^[\x21-\x7e]*$/, "must be the key itself, printable characters without spaces")
        .optional(),
    ),
    DEEPGRAM_REGION: z
      .enum(["global", "eu"], { error: "must be global (api.deepgram.com) or eu (api.eu.deepgram.com)" })
      .default("global"),
    DEEPGRAM_REGIONS: z.preprocess(blankAsUnset, z.string().optional()),
    DEEPGRAM_BASE_URL: z.preprocess(blankAsUnset, z.string().trim().optional()).meta({
      description: "A Deepgram self-hosted server to call instead of Deepgram's API (e.g. http://localhost:8080).",
    }),
    // Model names: nova-3, nova-3-medical, nova-2-phonecall...
    // (https://developers.deepgram.com/docs/models-languages-overview)
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
    DEEPGRAM_STREAMING_MODEL: z.preprocess(
      blankAsUnset,
      z
        .string()
        .trim()
        .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, "must be a Deepgram model name such as nova-3 or flux-general-en")
        .optional()
        .meta({
          description:
            "The model of streaming recognition (`STT_STREAMING_PROVIDERS`): a Nova model on /v1/listen, or " +
            "`flux-general-en` (Flux, /v2/listen, which ends turns itself). Unset: `DEEPGRAM_STT_MODEL`.",
        }),
    ),
    DEEPGRAM_EOT_THRESHOLD: eotThreshold(
      0.5,
      1,
      "Flux: the end-of-turn confidence that ends a turn (0.5-1; unset: 0.7).",
    ),
    DEEPGRAM_EAGER_EOT_THRESHOLD: eotThreshold(
      0.3,
      0.9,
      "Flux: the confidence at which a turn probably ended (`EagerEndOfTurn`, 0.3-0.9), so a reply can be prepared " +
        "early. Unset: no eager end of turn.",
    ),
  })
  .transform((s, ctx) => {
    const endpoint =
      s.DEEPGRAM_BASE_URL === undefined
        ? cloudEndpoint(s.DEEPGRAM_REGION)
        : selfHostedEndpoint(s.DEEPGRAM_BASE_URL, s.DEEPGRAM_REGIONS, ctx);
    if (!endpoint) return z.NEVER;
    if (!s.DEEPGRAM_API_KEY && endpoint.cloud) {
      ctx.addIssue({
        code: "custom",
        path: ["DEEPGRAM_API_KEY"],
        message: `${MISSING_KEY}; only a self-hosted server set in DEEPGRAM_BASE_URL works without one`,
      });
      return z.NEVER;
    }
    return {
      key: s.DEEPGRAM_API_KEY,
      /** "global", "eu", or a self-hosted endpoint's id ("localhost:8080"). */
      region: endpoint.region,
      /** Origin plus optional path prefix, no "/v1": the adapter appends "/v1/listen" and "/v1/speak". */
      baseUrl: endpoint.baseUrl,
      sttModel: s.DEEPGRAM_STT_MODEL,
      ttsModel: s.DEEPGRAM_TTS_MODEL,
      timeoutMs: s.DEEPGRAM_TIMEOUT_MS,
      // Streaming only, and only when set (the adapter has the defaults).
      ...(s.DEEPGRAM_STREAMING_MODEL !== undefined ? { streamModel: s.DEEPGRAM_STREAMING_MODEL } : {}),
      ...(s.DEEPGRAM_EOT_THRESHOLD !== undefined ? { eotThreshold: s.DEEPGRAM_EOT_THRESHOLD } : {}),
      ...(s.DEEPGRAM_EAGER_EOT_THRESHOLD !== undefined ? { eagerEotThreshold: s.DEEPGRAM_EAGER_EOT_THRESHOLD } : {}),
    };
  });

/** An optional Flux threshold (https://developers.deepgram.com/docs/flux/configuration). */
function eotThreshold(min: number, max: number, description: string) {
  return z.preprocess(blankAsUnset, z.coerce.number().min(min).max(max).optional()).meta({ description });
}

interface Endpoint {
  region: string;
  baseUrl: string;
  /** Deepgram's own API, which needs a key. */
  cloud: boolean;
}

function cloudEndpoint(region: DeepgramRegion): Endpoint {
  return { region, baseUrl: `https://${DEEPGRAM_HOSTS[region]}`, cloud: true };
}

function selfHostedEndpoint(value: string, regions: string | undefined, ctx: z.RefinementCtx): Endpoint | undefined {
  if (regions !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["DEEPGRAM_BASE_URL"],
      message: "cannot be combined with DEEPGRAM_REGIONS (a self-hosted server is one endpoint); unset one of them",
    });
    return undefined;
  }
  const baseUrl = baseUrlFromSetting(value, ctx, "DEEPGRAM_BASE_URL", URL_RULES);
  if (baseUrl === undefined) return undefined;
  // Deepgram's own hosts spelled as a URL keep their region names, so the region catalog still places them.
  const cloud = (Object.keys(DEEPGRAM_HOSTS) as DeepgramRegion[]).find(
    (r) => baseUrl === `https://${DEEPGRAM_HOSTS[r]}`,
  );
  return cloud ? cloudEndpoint(cloud) : { region: endpointId(baseUrl), baseUrl, cloud: false };
}

export type DeepgramSettings = z.output<typeof deepgramSettingsSchema>;

export interface DeepgramEngineOptions {
  /** Injected in tests; production uses the global fetch. */
  fetcher?: typeof fetch;
  /** Opens the streaming socket (a fetch with `Upgrade: websocket`); injected in tests. */
  connect?: typeof fetch;
}

export const DEEPGRAM_PROVIDER = "deepgram";

/**
 * "Authorization: Token YOUR_DEEPGRAM_API_KEY" (https://developers.deepgram.com/docs/pre-recorded-audio), when a key is
 * set.
 */
export const authHeaders = (s: DeepgramSettings): Record<string, string> =>
  s.key ? { Authorization: `Token ${s.key}` } : {};
