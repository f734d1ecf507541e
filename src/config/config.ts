import { z } from "zod";
import { regionOverridesVar } from "./region-overrides";
import { redactPatternsVar } from "./redact-patterns";
import { intVar, optionalUrlVar, otlpHeadersVar } from "./vars";

/**
 * Runtime configuration, parsed from the Worker's vars and secrets with zod so a bad value fails
 * loudly with the variable's name instead of surfacing later as NaN or undefined.
 */
export const ConfigSchema = z.object({
  ADMIN_TOKEN: z.string().min(16, "ADMIN_TOKEN must be at least 16 characters").optional(),
  CALL_IDLE_TIMEOUT_SECONDS: intVar(300, 5, 86_400),
  WARM_RETENTION_DAYS: intVar(30, 1, 3650),
  COLD_RETENTION_DAYS: intVar(365, 1, 36_500),
  MAX_AUDIO_BYTES: intVar(10 * 1024 * 1024, 1024, 100 * 1024 * 1024),
  MAX_AUDIO_SECONDS: intVar(300, 1, 3600),
  MAX_TEXT_CHARS: intVar(5000, 1, 100_000),
  MAX_CONTEXT_BYTES: intVar(16 * 1024, 256, 1024 * 1024),
  MAX_TURNS_PER_CALL: intVar(500, 1, 100_000),
  // How far a live call's D1 index, audit log and turn figures on the metrics shards may lag its
  // turns (one sync per this many seconds of conversation; each costs about $6.30 per 1M calls, see
  // npm run bench:cost). A call's start and end reach the shards at once whatever this is.
  SYNC_INTERVAL_SECONDS: intVar(90, 5, 3600),
  /**
   * Per-tenant limits (src/http/middleware/rate-limit.ts): requests per minute over every API key of the
   * tenant, refilled continuously (the default allows 100 calls each taking a turn every 5 s)...
   */
  TENANT_REQUESTS_PER_MINUTE: intVar(1200, 1, 1_000_000),
  /** ...of which up to TENANT_BURST at once (the token bucket's size; unset: one minute's worth)... */
  TENANT_BURST: z.preprocess(
    (v) => (v === "" ? undefined : v),
    z.coerce.number().int().min(1).max(1_000_000).optional(),
  ),
  /** ...and calls active at once; POST /calls over it is 429 until one of them ends. */
  TENANT_MAX_ACTIVE_CALLS: intVar(100, 1, 100_000),
  DEFAULT_LANGUAGE: z.string().default("en-US"),
  /** How long synthesized speech is reused from the R2 TTS cache; 0 turns the cache off. */
  TTS_CACHE_TTL_SECONDS: intVar(7 * 86_400, 0, 365 * 86_400),
  /** Preference order of speech-to-text providers; empty means no speech recognition configured. */
  STT_PROVIDERS: z.string().default(""),
  /** Preference order of text-to-speech providers; "local" is the embedded engine. */
  TTS_PROVIDERS: z.string().default("local"),
  /** Browser origins allowed to call the API (exact, comma-separated); empty: no CORS at all. */
  CORS_ORIGINS: z.string().default(""),
  /**
   * Corrections and additions to the shipped provider region catalog (src/routing/regions.ts): a JSON
   * array of {provider, region, lat?, lon?, zone?, endpoint?, ttsEndpoint?, capacity?, weight?}.
   */
  PROVIDER_REGIONS_CATALOG: regionOverridesVar,
  /**
   * Active probing on the 5-minute cron (src/routing/probe.ts): "off", "tts" (text-to-speech
   * engines, two words each) or "all" (speech-to-text too, a short clip each). Calls paid APIs.
   */
  PROVIDER_PROBES: z.preprocess(
    (v) => (typeof v === "string" ? v.trim().toLowerCase() || undefined : v),
    z.enum(["off", "tts", "all"], { error: "must be off, tts or all" }).default("off"),
  ),
  /**
   * Extra data to mask in transcripts and history, besides card numbers and security codes
   * (src/security/redaction.ts): a JSON array of {name, pattern}, e.g.
   * [{"name":"email","pattern":"[a-z0-9._%+-]+@[a-z0-9.-]+\\.[a-z]{2,}"}]. Matches become
   * "[redacted <name>]". Each pattern must compile (flags are always "gi"), is at most 200
   * characters and runs on at most MAX_TEXT_CHARS characters at a time; at most 20 patterns.
   */
  REDACT_PATTERNS: redactPatternsVar,
  /**
   * Tracing (src/observability/tracing.ts): OTLP/HTTP base URL of a collector (Jaeger, Grafana
   * Alloy/Tempo, Honeycomb's https://api.honeycomb.io...); spans go to <endpoint>/v1/traces as
   * JSON. Unset: tracing is off. OTEL_EXPORTER_OTLP_HEADERS (a secret) adds headers, in the
   * standard "k=v,k2=v2" form; OTEL_EXPORTER_OTLP_TIMEOUT bounds one export, ms.
   */
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrlVar,
  OTEL_EXPORTER_OTLP_HEADERS: otlpHeadersVar,
  OTEL_EXPORTER_OTLP_TIMEOUT: intVar(5000, 100, 30_000),
  OTEL_SERVICE_NAME: z.preprocess(
    (v) => (typeof v === "string" ? v.trim() || undefined : v),
    z.string().default("voice-edge"),
  ),
  /**
   * Optional HTTP log sink (src/observability/log.ts): each invocation's log lines are POSTed as
   * Elasticsearch _bulk NDJSON to this URL (e.g. https://es.example.com/voice-logs/_bulk), with
   * LOG_SINK_AUTH (a secret, e.g. "ApiKey ...") as the Authorization header. Unset: console only.
   */
  LOG_SINK_URL: optionalUrlVar,
  LOG_SINK_AUTH: z.preprocess((v) => (typeof v === "string" ? v.trim() || undefined : v), z.string().optional()),
  /**
   * The Twilio bridge (src/http/routes/telephony.ts). TWILIO_AUTH_TOKEN (a secret): the account's Auth
   * Token, which signs Twilio's requests (X-Twilio-Signature); comma-separated to accept the
   * primary and secondary tokens during a rotation. Unset: the Twilio routes answer 503.
   */
  TWILIO_AUTH_TOKEN: z.preprocess(
    (v) =>
      typeof v === "string"
        ? v
            .split(",")
            .map((t) => t.trim())
            .filter(Boolean)
        : v === undefined
          ? []
          : v,
    z.array(z.string()),
  ),
  /** The tenant whose calls Twilio's webhook creates (Twilio sends no API key; its signature is the authentication). */
  TWILIO_TENANT_ID: z.preprocess(
    (v) => (typeof v === "string" ? v.trim() || undefined : v),
    z.string().max(128).optional(),
  ),
  /**
   * The public https origin Twilio calls (e.g. https://voice.example.com), when it is not the one
   * the Worker sees (a proxy or tunnel): the URL Twilio signed is rebuilt from it, and the
   * wss:// stream URL in the TwiML too. Unset: the request's own origin.
   */
  PUBLIC_BASE_URL: optionalUrlVar,
});

export type Config = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {}

const cache = new WeakMap<object, Config>();

/** Parses (once per env object) and returns the typed configuration. */
export function getConfig(env: Env): Config {
  const hit = cache.get(env);
  if (hit) return hit;
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new ConfigError(`invalid configuration: ${issues}`);
  }
  cache.set(env, parsed.data);
  return parsed.data;
}

export function providerList(value: string): string[] {
  return value
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
}
