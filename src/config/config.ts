import { z } from "zod";
import { regionOverridesVar } from "./region-overrides";
import { redactPatternsVar } from "./redact-patterns";
import { intVar, optionalUrlVar, otlpHeadersVar } from "./vars";

/**
 * What docs/configuration.md says of a setting (scripts/config-docs.mjs generates the page from this
 * schema): `description` is one paragraph of Markdown; `secret` marks a value that goes in with
 * `wrangler secret put` (or .dev.vars locally), never in wrangler.toml.
 */
const doc = (description: string, secret?: true) => (secret ? { description, secret } : { description });

/**
 * Runtime configuration, parsed from the Worker's vars and secrets with zod so a bad value fails
 * loudly with the variable's name instead of surfacing later as NaN or undefined. Each setting's
 * description is here, in its `.meta()`, and nowhere else: `npm run docs:config` writes the settings
 * table of docs/configuration.md from it, and CI checks that the page is current.
 */
export const ConfigSchema = z.object({
  ADMIN_TOKEN: z
    .string()
    .min(16, "ADMIN_TOKEN must be at least 16 characters")
    .optional()
    .meta(
      doc(
        "The operator token: creates, lists, rotates and revokes tenant API keys (`/api/v1/admin/keys`), " +
          "reads the audit log and `/metrics`. Unset: no operator access.",
        true,
      ),
    ),
  CALL_IDLE_TIMEOUT_SECONDS: intVar(300, 5, 86_400).meta(
    doc(
      "A call with no turn or context change for this long ends and is archived " +
        "(audio frames on a stream do not count).",
    ),
  ),
  WARM_RETENTION_DAYS: intVar(30, 1, 3650).meta(
    doc("Ended calls stay in D1 (the warm tier) this long, then only in R2; a call leaves D1 only once R2 holds it."),
  ),
  COLD_RETENTION_DAYS: intVar(365, 1, 36_500).meta(doc("R2 archives (the cold tier) are deleted after this long.")),
  MAX_AUDIO_BYTES: intVar(10 * 1024 * 1024, 1024, 100 * 1024 * 1024).meta(
    doc("Largest audio body, in bytes; above it, 413 `payload_too_large`."),
  ),
  MAX_AUDIO_SECONDS: intVar(300, 1, 3600).meta(doc("Longest audio body, in seconds; above it, 413.")),
  MAX_TEXT_CHARS: intVar(5000, 1, 100_000).meta(
    doc(
      "Longest text turn and `/voice/synthesize` text, in characters; above it, 422 `text_too_long`. " +
        "`REDACT_PATTERNS` run on at most this many characters at a time.",
    ),
  ),
  MAX_CONTEXT_BYTES: intVar(16 * 1024, 256, 1024 * 1024).meta(
    doc("Largest `metadata` and `context` of a call, each, in bytes of JSON; above it, 413."),
  ),
  MAX_TURNS_PER_CALL: intVar(500, 1, 100_000).meta(doc("Caller turns per call; beyond it, 422 `turn_limit_reached`.")),
  SYNC_INTERVAL_SECONDS: intVar(90, 5, 3600).meta(
    doc(
      "How far a live call's D1 list row, audit log entries and turn figures on the metrics shards may lag " +
        "its turns: one sync per this many seconds of conversation (sooner once the call holds 24 key uses), " +
        "each about $6.30 per 1M calls (`npm run bench:cost -- --sync-seconds 60`). A call's start and end " +
        "reach the metrics shards at once whatever this is.",
    ),
  ),
  TENANT_REQUESTS_PER_MINUTE: intVar(1200, 1, 1_000_000).meta(
    doc(
      "Requests per minute over all of a tenant's API keys, refilled continuously (the default allows 100 " +
        "calls each taking a turn every 5 s); above it, 429 `rate_limited` with `Retry-After`.",
    ),
  ),
  TENANT_BURST: z
    .preprocess((v) => (v === "" ? undefined : v), z.coerce.number().int().min(1).max(1_000_000).optional())
    .meta(doc("Requests a tenant may make at once: the token bucket's size. Unset: `TENANT_REQUESTS_PER_MINUTE`.")),
  TENANT_MAX_ACTIVE_CALLS: intVar(100, 1, 100_000).meta(
    doc("Calls a tenant may have active at once; `POST /api/v1/calls` over it is 429 until one of them ends."),
  ),
  DEFAULT_LANGUAGE: z
    .string()
    .default("en-US")
    .meta(doc("The language (BCP 47) of a call or voice request that names none.")),
  TTS_CACHE_TTL_SECONDS: intVar(7 * 86_400, 0, 365 * 86_400).meta(
    doc("How long synthesized speech is reused from the R2 speech cache; 0 turns the cache off."),
  ),
  STT_PROVIDERS: z
    .string()
    .default("")
    .meta(
      doc(
        "Speech-to-text providers in preference order, comma-separated (e.g. `deepgram,google`). " +
          "Empty: no speech recognition; keypad tones, silence and text turns still work.",
      ),
    ),
  STT_STREAMING_PROVIDERS: z
    .string()
    .default("")
    .meta(
      doc(
        "Streaming speech-to-text providers in preference order, comma-separated: `deepgram` (Nova or Flux), " +
          "`workers-ai` (Flux or Nova-3 through the `AI` binding), `assemblyai`. Each recognises a caller's turn " +
          "over a WebSocket while it is spoken and says when it ended; `STT_PROVIDERS` stays the fallback. " +
          "Empty: off.",
      ),
    ),
  TTS_PROVIDERS: z
    .string()
    .default("local")
    .meta(
      doc(
        "Text-to-speech providers in preference order, comma-separated (e.g. `polly,local`); " +
          "`local` is the embedded eSpeak NG engine.",
      ),
    ),
  TTS_STREAMING: z
    .preprocess(
      (v) => (typeof v === "string" ? v.trim().toLowerCase() || undefined : v),
      z.enum(["on", "off"], { error: "must be on or off" }).default("on"),
    )
    .meta(
      doc(
        "Live-stream replies in PCM or µ-law are spoken as the engine synthesises them: each sentence's audio " +
          "is sent as it arrives from engines that stream (`openai`, `deepgram`, `azure`, `polly`, `elevenlabs`, " +
          "`cartesia`), not once it is whole. `off`: every sentence is synthesised whole first. " +
          "See [streaming](streaming.md#streaming-speech-synthesis).",
      ),
    ),
  LLM_PROVIDERS: z
    .string()
    .default("")
    .meta(
      doc(
        "Language-model providers for agent calls, in preference order, comma-separated: `openai` (any " +
          "OpenAI-compatible Chat Completions server: OpenAI, Azure OpenAI, Groq, Ollama, llama.cpp...), " +
          "`anthropic`, `google` (Gemini), `workers-ai` (the `AI` binding). Empty: agent calls are refused " +
          "at creation (flows still work). See docs/agents.md.",
      ),
    ),
  LLM_FIRST_TOKEN_TIMEOUT_MS: intVar(4000, 200, 60_000).meta(
    doc(
      "How long a turn waits for a model's first token, retries and failover to the next provider in " +
        "`LLM_PROVIDERS` included; past it the turn answers with the agent's fallback line " +
        '(`degraded: ["llm_unavailable"]`).',
    ),
  ),
  LLM_STREAM_TIMEOUT_MS: intVar(30_000, 1000, 300_000).meta(
    doc("Longest a model may take to finish one answer once it has started; a stream cut or stalled past it ends."),
  ),
  AGENT_HISTORY_TOKENS: intVar(4000, 200, 200_000).meta(
    doc(
      "Token budget (estimated at 4 characters a token) for the earlier turns of a call sent to its agent's model; " +
        "the oldest turns beyond it are left out (docs/agents.md says why they are dropped, not summarized).",
    ),
  ),
  ALLOW_PRIVATE_TOOL_URLS: z
    .enum(["true", "false"])
    .default("false")
    .transform((v) => v === "true")
    .meta(
      doc(
        "`true` lets agent tools, MCP servers and webhooks use http and loopback or private addresses. " +
          "For local development only (`.dev.vars.example` sets it); never in production.",
      ),
    ),
  CORS_ORIGINS: z
    .string()
    .default("")
    .meta(doc("Browser origins allowed to call the API: exact, comma-separated, never `*`. Empty: no CORS at all.")),
  PROVIDER_REGIONS_CATALOG: regionOverridesVar.meta(
    doc(
      "Corrections and additions to the shipped provider region catalog (`src/routing/regions.ts`), " +
        "matched by `provider` and `region`, field by field; new entries are zone `other` unless stated. " +
        "See [routing](routing.md#the-region-catalog).",
    ),
  ),
  PROVIDER_PROBES: z
    .preprocess(
      (v) => (typeof v === "string" ? v.trim().toLowerCase() || undefined : v),
      z.enum(["off", "tts", "all"], { error: "must be off, tts or all" }).default("off"),
    )
    .meta(
      doc(
        "Active probing of every configured provider-region on the 5-minute cron (`src/routing/probe.ts`): " +
          "`tts` (text-to-speech engines, two words each) or `all` (speech-to-text too, a short clip each). " +
          "Probes call paid APIs. See [routing](routing.md#active-probing).",
      ),
    ),
  REDACT_PATTERNS: redactPatternsVar.meta(
    doc(
      "Extra data to mask in transcripts and history, besides card numbers and security codes " +
        "(`src/security/redaction.ts`), e.g. " +
        '`[{"name":"email","pattern":"[a-z0-9._%+-]+@[a-z0-9.-]+\\\\.[a-z]{2,}"}]`. ' +
        "Matches become `[redacted <name>]`. Each pattern must compile (flags are always `gi`), may not match " +
        "empty text, and runs on at most `MAX_TEXT_CHARS` characters at a time.",
    ),
  ),
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrlVar.meta(
    doc(
      "Tracing (`src/observability/tracing.ts`): the OTLP/HTTP base URL of a collector (Jaeger or Grafana " +
        "Alloy `http://localhost:4318`, Honeycomb `https://api.honeycomb.io`...); spans go to " +
        "`<endpoint>/v1/traces` as JSON. Unset: tracing is off.",
    ),
  ),
  OTEL_EXPORTER_OTLP_HEADERS: otlpHeadersVar.meta(
    doc(
      "Headers of the trace exports, in the standard `k=v,k2=v2` form with URL-encoded values " +
        "(e.g. `x-honeycomb-team=<key>`).",
      true,
    ),
  ),
  OTEL_EXPORTER_OTLP_TIMEOUT: intVar(5000, 100, 30_000).meta(doc("Time limit of one trace export, in ms.")),
  OTEL_SERVICE_NAME: z
    .preprocess((v) => (typeof v === "string" ? v.trim() || undefined : v), z.string().default("voice-edge"))
    .meta(doc("The spans' `service.name`.")),
  LOG_SINK_URL: optionalUrlVar.meta(
    doc(
      "Optional log sink (`src/observability/log.ts`): each invocation's log lines are POSTed as " +
        "Elasticsearch `_bulk` NDJSON to this URL (e.g. `https://es.example.com/voice-logs/_bulk`). " +
        "Unset: console (Workers Logs) only.",
    ),
  ),
  LOG_SINK_AUTH: z
    .preprocess((v) => (typeof v === "string" ? v.trim() || undefined : v), z.string().optional())
    .meta(doc("The log sink's `Authorization` header (e.g. `ApiKey <base64>`).", true)),
  TWILIO_AUTH_TOKEN: z
    .preprocess(
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
    )
    .meta(
      doc(
        "The Twilio bridge (`src/http/routes/telephony.ts`): the account's Auth Token, which signs Twilio's " +
          "requests (`X-Twilio-Signature`); comma-separated `primary,secondary` during a rotation. " +
          "Unset: the Twilio routes answer 503 `not_configured`.",
        true,
      ),
    ),
  TWILIO_TENANT_ID: z
    .preprocess((v) => (typeof v === "string" ? v.trim() || undefined : v), z.string().max(128).optional())
    .meta(
      doc(
        "The tenant whose calls Twilio's webhook creates (Twilio sends no API key; its signature is the " +
          "authentication). Unset: the Twilio routes answer 503 `not_configured`.",
      ),
    ),
  TWILIO_AGENT_ID: z
    .preprocess(
      (v) => (typeof v === "string" ? v.trim() || undefined : v),
      z
        .string()
        .regex(/^[A-Za-z0-9_-]{1,64}$/, "must be an agent id (letters, digits, _ and -, at most 64)")
        .optional(),
    )
    .meta(
      doc(
        "The agent (of `TWILIO_TENANT_ID`) that answers phone calls from Twilio, at its current version when " +
          "the call starts; its `transfer` tool dials onwards through Twilio's REST API. Unset, or an agent " +
          "that is missing or has no model to use: the default flow answers (and a warning is logged).",
      ),
    ),
  PUBLIC_BASE_URL: optionalUrlVar.meta(
    doc(
      "The public https origin Twilio calls (e.g. `https://voice.example.com`) when it is not the one the " +
        "Worker sees (a proxy or tunnel): the URL Twilio signed is rebuilt from it, and the `wss://` stream " +
        "URL in the TwiML too. Unset: the request's own origin. Also the origin of the signed recording " +
        "links `recording.ready` events carry (docs/events.md); unset, those links are a path and query.",
    ),
  ),
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
