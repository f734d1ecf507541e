/**
 * GOOGLE_* settings. Credentials are either an API key or a service account key file; everything
 * else has a default. Issues name the variable and what it should look like, never its value (both
 * credentials are secrets, and JSON.parse's own messages quote the text they choke on).
 */
import { z } from "zod";
import { timeoutSetting } from "../settings";
import { DEFAULT_TOKEN_URI, GOOGLE_LOCATIONS, type GoogleLocation } from "./endpoints";

export interface ServiceAccountKey {
  clientEmail: string;
  privateKeyPem: string;
  tokenUri: string;
}

export type GoogleCredentials = { kind: "api_key"; apiKey: string } | ({ kind: "service_account" } & ServiceAccountKey);

export interface GoogleSettings {
  credentials: GoogleCredentials;
  /** Billing/quota project for service-account calls (x-goog-user-project). */
  projectId: string | undefined;
  location: GoogleLocation;
  /** Speech-to-Text model for every request; unset = latest_short, or phone_call for 8 kHz audio. */
  sttModel: string | undefined;
  /** Default Text-to-Speech voice name, e.g. en-US-Neural2-C; unset = Google picks one for the language. */
  ttsVoice: string | undefined;
  timeoutMs: number;
}

/** Unset and empty are the same thing for an env var (`GOOGLE_PROJECT_ID=` in .dev.vars). */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (typeof v === "string" && v.trim() === "" ? undefined : v), schema.optional());

/** Google API keys are opaque printable tokens ("AIza..." today); only obvious paste errors are refused. */
const apiKey = z
  .string()
  .regex(
    /^[\x21-\x7e]{20,200}$/,
    "must be a Google Cloud API key: one token of 20 to 200 printable characters, no spaces or quotes",
  );

/**
 * The fields of a service account key file that the JWT flow needs
 * (https://developers.google.com/identity/protocols/oauth2/service-account#creatinganaccount).
 */
const keyFile = z.object({
  type: z
    .literal(
      "service_account",
      "field 'type' must be \"service_account\" (this looks like another kind of credentials file)",
    )
    .optional(),
  client_email: z.email("field 'client_email' must be the service account's email address"),
  private_key: z
    .string("field 'private_key' is missing")
    .regex(
      /-----BEGIN PRIVATE KEY-----[\s\S]+-----END PRIVATE KEY-----/,
      "field 'private_key' must be a PEM PKCS#8 key (-----BEGIN PRIVATE KEY-----), as Google's key files carry it",
    ),
  // The assertion (signed with the private key) is posted here: only Google's own HTTPS token endpoints.
  token_uri: z
    .string()
    .optional()
    .refine(
      (v) => v === undefined || isGoogleTokenUrl(v),
      "field 'token_uri' must be an https URL on googleapis.com or accounts.google.com",
    ),
});

function isGoogleTokenUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (
      url.protocol === "https:" &&
      (url.hostname === "accounts.google.com" || /^[a-z0-9-]+\.googleapis\.com$/.test(url.hostname))
    );
  } catch {
    return false;
  }
}

const serviceAccountJson = z.string().transform((text, ctx): ServiceAccountKey => {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    ctx.addIssue({
      code: "custom",
      message: "must be the JSON key file of a service account (paste the whole file's contents); it is not valid JSON",
    });
    return z.NEVER;
  }
  const parsed = keyFile.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      ctx.addIssue({
        code: "custom",
        message: issue.message.startsWith("field") ? issue.message : `field '${issue.path.join(".")}' is invalid`,
      });
    return z.NEVER;
  }
  return {
    clientEmail: parsed.data.client_email,
    privateKeyPem: parsed.data.private_key,
    tokenUri: parsed.data.token_uri ?? DEFAULT_TOKEN_URI,
  };
});

export const googleSettings = z
  .object({
    GOOGLE_API_KEY: optional(apiKey),
    GOOGLE_SERVICE_ACCOUNT_JSON: optional(serviceAccountJson).meta({
      description:
        "A service account's JSON key file (the whole file, as a secret): voice-edge signs its own OAuth " +
        "token with it. Use it or GOOGLE_API_KEY.",
      secret: true,
    }),
    GOOGLE_PROJECT_ID: optional(
      z
        .string()
        .regex(
          /^(?:[a-z0-9.-]+:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$|^\d{1,20}$/,
          "must be a Google Cloud project ID (6-30 lowercase letters, digits, hyphens) or project number",
        ),
    ),
    GOOGLE_LOCATION: z.preprocess(
      (v) => (typeof v === "string" ? v.trim().toLowerCase() || undefined : v),
      z.enum(GOOGLE_LOCATIONS, `must be one of ${GOOGLE_LOCATIONS.join(", ")}`).default("global"),
    ),
    GOOGLE_STT_MODEL: optional(
      z
        .string()
        .regex(
          /^[a-z][a-z0-9_]{1,39}$/,
          "must be a Speech-to-Text v1 model name such as latest_short, latest_long, phone_call or default",
        ),
    ),
    GOOGLE_TTS_VOICE: optional(
      z
        .string()
        .regex(
          /^[a-z]{2,3}-[A-Z]{2}-[A-Za-z0-9-]{1,60}$/,
          "must be a Text-to-Speech voice name such as en-US-Neural2-C",
        ),
    ),
    GOOGLE_TIMEOUT_MS: timeoutSetting(z, 10_000),
  })
  .superRefine((s, ctx) => {
    if (!s.GOOGLE_API_KEY && !s.GOOGLE_SERVICE_ACCOUNT_JSON) {
      ctx.addIssue({
        code: "custom",
        path: ["GOOGLE_API_KEY"],
        message:
          "set GOOGLE_API_KEY (an API key allowed to call Speech-to-Text and " +
          "Text-to-Speech) or GOOGLE_SERVICE_ACCOUNT_JSON (a service account's JSON key file)",
      });
    }
  })
  .transform((s): GoogleSettings => ({
    // A service account is preferred when both are set: IAM-scoped and revocable per account.
    credentials: s.GOOGLE_SERVICE_ACCOUNT_JSON
      ? { kind: "service_account", ...s.GOOGLE_SERVICE_ACCOUNT_JSON }
      : { kind: "api_key", apiKey: s.GOOGLE_API_KEY ?? "" },
    projectId: s.GOOGLE_PROJECT_ID,
    location: s.GOOGLE_LOCATION,
    sttModel: s.GOOGLE_STT_MODEL,
    ttsVoice: s.GOOGLE_TTS_VOICE,
    timeoutMs: s.GOOGLE_TIMEOUT_MS,
  }));
