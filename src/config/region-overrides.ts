import { z } from "zod";
import { jsonVar } from "./vars";

/**
 * PROVIDER_REGIONS_CATALOG: the deployer's additions and corrections to the shipped provider
 * region catalog (src/routing/regions.ts merges them).
 */

/** A bare lower-case host[:port], as the adapters put it in their URLs (no scheme, path or credentials). */
const host = z
  .string()
  .refine(
    (v) => URL.canParse(`https://${v}`) && new URL(`https://${v}`).host === v,
    "must be a bare lower-case host such as stt.example.eu or stt.example.eu:8443 (no scheme or path)",
  );

export const regionOverrideSchema = z
  .strictObject({
    provider: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, "must be a provider name such as azure, polly or openai"),
    // Endpoint ids of self-hosted servers carry a port or a path prefix ("localhost:8000", "gw.example.com/a").
    region: z
      .string()
      .regex(
        /^[\x21-\x7e]{1,253}$/,
        "must be the region id the adapter reports (no spaces), e.g. westeurope or stt.example.eu",
      ),
    lat: z
      .number()
      .min(-90, "must be a latitude between -90 and 90")
      .max(90, "must be a latitude between -90 and 90")
      .optional(),
    lon: z
      .number()
      .min(-180, "must be a longitude between -180 and 180")
      .max(180, "must be a longitude between -180 and 180")
      .optional(),
    // "edge" is not offered: only our own in-process engine can promise that data goes nowhere.
    zone: z.enum(["eu", "us", "other"], { error: 'must be "eu", "us" or "other"' }).optional(),
    endpoint: host.optional(),
    ttsEndpoint: host.optional(),
    capacity: z
      .number()
      .int("must be a whole number of calls")
      .min(1, "must be between 1 and 10000")
      .max(10_000, "must be between 1 and 10000")
      .optional(),
    weight: z.number().min(0.1, "must be between 0.1 and 10").max(10, "must be between 0.1 and 10").optional(),
  })
  .refine((e) => (e.lat === undefined) === (e.lon === undefined), {
    message: "lat and lon must be given together",
    path: ["lon"],
  });

export type RegionOverride = z.infer<typeof regionOverrideSchema>;

const overridesSchema = z
  .array(regionOverrideSchema, { error: "must be a JSON array of {provider, region, ...} entries" })
  .max(1000, "must have at most 1000 entries")
  .superRefine((entries, ctx) => {
    const seen = new Set<string>();
    entries.forEach((e, i) => {
      const key = `${e.provider}@${e.region}`;
      if (seen.has(key)) ctx.addIssue({ code: "custom", path: [i], message: `duplicate entry for ${key}` });
      seen.add(key);
    });
  });

/**
 * The PROVIDER_REGIONS_CATALOG setting: a JSON array in a string (a secret or .dev.vars), or the
 * array itself (wrangler.toml [vars] may hold JSON values). Blank means unset.
 */
export const regionOverridesVar = jsonVar("a JSON array of region entries", undefined)
  .pipe(overridesSchema.optional())
  .optional();
