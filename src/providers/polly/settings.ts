import { z } from "zod";
import { timeoutSetting } from "../settings";

/**
 * Amazon Polly settings, read from vars/secrets. Credentials come only from here: the adapter
 * never falls back to the SDK's default chain (env, ~/.aws files, IMDS), which does not exist in
 * workerd and would hide a misconfiguration.
 */

/** `.dev.vars` often holds `NAME=` for a setting left unset: treat a blank value as absent. */
const blankToUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);

/** Polly's engines: https://docs.aws.amazon.com/polly/latest/dg/API_SynthesizeSpeech.html (Engine). */
export const POLLY_ENGINES = ["standard", "neural", "long-form", "generative"] as const;
export type PollyEngine = (typeof POLLY_ENGINES)[number];

/**
 * AWS region ids ("us-east-1", "eu-central-1", "ap-southeast-2", "us-gov-west-1", "cn-north-1").
 * Polly endpoints: https://docs.aws.amazon.com/general/latest/gr/pollyregion.html
 */
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/**
 * Access key ids are 16-128 word characters (IAM AccessKey.AccessKeyId, e.g. AKIA…/ASIA…):
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_AccessKey.html
 */
const ACCESS_KEY_ID = /^[A-Z0-9]{16,128}$/;

/** A voice id such as "Joanna", "Matthew", "Aditi": https://docs.aws.amazon.com/polly/latest/dg/voicelist.html */
export const VOICE_ID = /^[A-Z][A-Za-z]{1,31}$/;

const httpsUrl = z.url({
  protocol: /^https$/,
  error: "must be an https:// URL, e.g. https://polly-fips.us-east-1.amazonaws.com",
});

export const pollySettingsSchema = z.object({
  AWS_ACCESS_KEY_ID: z
    .string({ error: "is required (an IAM access key id with polly:SynthesizeSpeech)" })
    .trim()
    .regex(ACCESS_KEY_ID, {
      error: "must be an AWS access key id (16-128 upper-case letters and digits, e.g. AKIA…)",
    }),
  AWS_SECRET_ACCESS_KEY: z
    .string({ error: "is required (the secret access key paired with AWS_ACCESS_KEY_ID)" })
    .trim()
    .min(16, { error: "must be an AWS secret access key (40 characters)" })
    .regex(/^\S+$/, { error: "must not contain whitespace" }),
  /** Only for temporary (STS) credentials, whose key ids start with ASIA. */
  AWS_SESSION_TOKEN: z.preprocess(
    blankToUndefined,
    z.string().trim().min(16, { error: "must be an STS session token when set" }).optional(),
  ),
  POLLY_REGION: z.preprocess(
    blankToUndefined,
    z
      .string()
      .trim()
      .regex(REGION, { error: "must be an AWS region id such as us-east-1 or eu-central-1" })
      .default("us-east-1"),
  ),
  POLLY_VOICE: z.preprocess(
    blankToUndefined,
    z
      .string()
      .trim()
      .regex(VOICE_ID, { error: "must be a Polly voice id such as Joanna or Matthew" })
      .default("Joanna"),
  ),
  POLLY_ENGINE: z.preprocess(
    blankToUndefined,
    z.enum(POLLY_ENGINES, { error: `must be one of ${POLLY_ENGINES.join(", ")}` }).default("neural"),
  ),
  /** A regional or FIPS endpoint override, e.g. https://polly-fips.us-east-1.amazonaws.com. */
  POLLY_ENDPOINT: z.preprocess(
    blankToUndefined,
    httpsUrl
      .refine(
        (u) => {
          if (!URL.canParse(u)) return true; // already reported by the URL check
          const url = new URL(u);
          return !url.username && !url.password && !url.search && !url.hash;
        },
        { error: "must be a bare https:// endpoint URL without credentials, query or fragment" },
      )
      .optional(),
  ),
  POLLY_TIMEOUT_MS: z.preprocess(blankToUndefined, timeoutSetting(z, 10_000)),
});

export type PollySettings = z.output<typeof pollySettingsSchema>;
