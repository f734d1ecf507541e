/**
 * Settings of the language-model adapters, parsed from vars and secrets with zod (once per env
 * object, by src/providers/llm/registry.ts). A problem names the setting and what it should look
 * like, never its value. Descriptions in `.meta()` are what docs/configuration.md says of each.
 */
import { z } from "zod";
import { blankAsUnset, checkBaseUrl, endpointId } from "../base-url";
import type { AiRunner } from "../workers-ai/settings";
import type { LlmZone } from "./types";

const ZONES = ["eu", "us", "other"] as const satisfies readonly LlmZone[];

const zone = (name: string) =>
  z.preprocess(blankAsUnset, z.enum(ZONES, { error: "must be eu, us or other" }).default("other")).meta({
    description:
      `Where the ${name} endpoint processes what it is sent: \`eu\`, \`us\` or \`other\`. An EU-resident ` +
      "call only uses endpoints marked `eu`, so mark one `eu` only when its provider contractually keeps " +
      "the data in the EU.",
  });

/** Model names as providers spell them: "gpt-4o-mini", "llama3.2:3b", "@cf/meta/llama-3.3-70b-instruct-fp8-fast". */
const model = (fallback: string, description: string) =>
  z
    .preprocess(
      blankAsUnset,
      z
        .string()
        .trim()
        .max(200, "must be at most 200 characters")
        .regex(/^[\w.:/@+-]+$/, "must be a model name (letters, digits and . _ - : / @ +)")
        .default(fallback),
    )
    .meta({ description });

const key = (description: string) =>
  z
    .preprocess(
      blankAsUnset,
      z
        .string()
        .trim()
        .regex(/^[\x21-\x7e]+$/, "must be one token of printable ASCII characters (no spaces or quotes around it)")
        .optional(),
    )
    .meta({ description });

const optionalText = (description: string) =>
  z.preprocess(blankAsUnset, z.string().trim().optional()).meta({ description });

/** A base URL checked by the shared rules (src/providers/base-url.ts), its problems under `path`. */
function baseUrl(value: string, ctx: z.RefinementCtx, path: string, keySetting: string, example: string) {
  const checked = checkBaseUrl(value, { example, keySetting });
  for (const message of checked.problems) ctx.addIssue({ code: "custom", path: [path], message });
  return checked.url;
}

const problem = (ctx: z.RefinementCtx, path: string, message: string) => {
  ctx.addIssue({ code: "custom", path: [path], message });
  return z.NEVER;
};

// ---- OpenAI-compatible Chat Completions ---------------------------------------------------------

export interface OpenAiLlmSettings {
  apiKey: string | undefined;
  /** Origin plus optional path prefix, without "/v1": the adapter appends "/v1/chat/completions". */
  baseUrl: string;
  model: string;
  zone: LlmZone;
}

export const OPENAI_LLM_DEFAULT_BASE_URL = "https://api.openai.com";

/** Azure OpenAI (and Azure AI Foundry) hosts: they take the key as `api-key`, and always need one. */
export const AZURE_OPENAI_HOST = /\.(openai\.azure\.com|cognitiveservices\.azure\.com|services\.ai\.azure\.com)$/i;
const needsKey = (host: string) => host === "api.openai.com" || AZURE_OPENAI_HOST.test(host);

export const openAiLlmSettingsSchema = z
  .object({
    OPENAI_LLM_BASE_URL: optionalText(
      "The OpenAI-compatible Chat Completions server: OpenAI (default `https://api.openai.com`), Azure OpenAI " +
        "(`https://<resource>.openai.azure.com/openai/v1`), Groq (`https://api.groq.com/openai/v1`), Together, " +
        "Fireworks, Mistral, vLLM, or Ollama / llama.cpp on this machine (`http://localhost:11434`). The " +
        "adapter appends `/v1/chat/completions`; a trailing `/v1` is accepted. https, or http to localhost. " +
        "Unset: `OPENAI_BASE_URL`, else api.openai.com.",
    ),
    OPENAI_BASE_URL: optionalText(
      "The speech adapter's server, used for the language model too when `OPENAI_LLM_BASE_URL` is unset.",
    ),
    OPENAI_LLM_API_KEY: key(
      "The Chat Completions server's key (`Authorization: Bearer`; `api-key` for Azure OpenAI). Required for " +
        "api.openai.com and Azure; optional for a server that needs none (Ollama, llama.cpp, vLLM). Unset: " +
        "`OPENAI_API_KEY`, but only when the server is the one that key is for (`OPENAI_BASE_URL`, else " +
        "api.openai.com), so an OpenAI key is never sent to another provider.",
    ),
    OPENAI_API_KEY: key("The speech adapter's key; see `OPENAI_LLM_API_KEY`."),
    OPENAI_LLM_MODEL: model(
      "gpt-4o-mini",
      "The model when an agent names none (Ollama: e.g. `llama3.2`; Azure: the deployment name).",
    ),
    OPENAI_LLM_ZONE: zone("Chat Completions"),
  })
  .transform((s, ctx): OpenAiLlmSettings => {
    const example = OPENAI_LLM_DEFAULT_BASE_URL;
    const path = s.OPENAI_LLM_BASE_URL ? "OPENAI_LLM_BASE_URL" : "OPENAI_BASE_URL";
    const url = baseUrl(
      s.OPENAI_LLM_BASE_URL ?? s.OPENAI_BASE_URL ?? example,
      ctx,
      path,
      "OPENAI_LLM_API_KEY",
      example,
    );
    if (url === undefined) return z.NEVER;
    const host = new URL(url).host.toLowerCase();
    // OPENAI_API_KEY belongs to the speech adapter's server: only that host may receive it.
    const speechUrl = s.OPENAI_BASE_URL ? checkBaseUrl(s.OPENAI_BASE_URL, { example, keySetting: "" }).url : example;
    const speechHost = speechUrl ? new URL(speechUrl).host.toLowerCase() : undefined;
    const apiKey = s.OPENAI_LLM_API_KEY ?? (host === speechHost ? s.OPENAI_API_KEY : undefined);
    if (!apiKey && needsKey(host))
      return problem(
        ctx,
        "OPENAI_LLM_API_KEY",
        "is required for api.openai.com and Azure OpenAI (set it, or OPENAI_API_KEY when the server is api.openai.com)",
      );
    return { apiKey, baseUrl: url, model: s.OPENAI_LLM_MODEL, zone: s.OPENAI_LLM_ZONE };
  });

// ---- Anthropic Messages -------------------------------------------------------------------------

export interface AnthropicSettings {
  apiKey: string;
  baseUrl: string;
  model: string;
  zone: LlmZone;
}

export const ANTHROPIC_DEFAULT_BASE_URL = "https://api.anthropic.com";

export const anthropicSettingsSchema = z
  .object({
    ANTHROPIC_API_KEY: key("The Anthropic API key (`x-api-key`)."),
    ANTHROPIC_MODEL: model(
      "claude-haiku-4-5",
      "The model when an agent names none. Newer models refuse sampling settings: leave the agent's " +
        "`llm.temperature` unset for them.",
    ),
    ANTHROPIC_BASE_URL: optionalText(
      "A Messages API server to call instead of `https://api.anthropic.com` (a gateway); the adapter appends `/v1/messages`.",
    ),
    ANTHROPIC_LLM_ZONE: zone("Anthropic"),
  })
  .transform((s, ctx): AnthropicSettings => {
    const example = ANTHROPIC_DEFAULT_BASE_URL;
    const path = "ANTHROPIC_BASE_URL";
    const url = baseUrl(s.ANTHROPIC_BASE_URL ?? example, ctx, path, "ANTHROPIC_API_KEY", example);
    if (url === undefined) return z.NEVER;
    if (!s.ANTHROPIC_API_KEY) return problem(ctx, "ANTHROPIC_API_KEY", "is missing: set it to an Anthropic API key");
    return { apiKey: s.ANTHROPIC_API_KEY, baseUrl: url, model: s.ANTHROPIC_MODEL, zone: s.ANTHROPIC_LLM_ZONE };
  });

// ---- Gemini API ---------------------------------------------------------------------------------

export interface GeminiSettings {
  apiKey: string;
  /** Origin plus optional prefix, without the API version: the adapter appends "/v1beta/models/...". */
  baseUrl: string;
  model: string;
  zone: LlmZone;
}

export const GEMINI_DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com";

export const geminiSettingsSchema = z
  .object({
    GEMINI_API_KEY: key("The Gemini API key (`x-goog-api-key`), from Google AI Studio."),
    GEMINI_MODEL: model("gemini-2.5-flash", "The model when an agent names none."),
    GEMINI_BASE_URL: optionalText(
      "A Gemini API server to call instead of `https://generativelanguage.googleapis.com` (a gateway); the " +
        "adapter appends `/v1beta/models/<model>:streamGenerateContent`.",
    ),
    GEMINI_LLM_ZONE: zone("Gemini"),
  })
  .transform((s, ctx): GeminiSettings => {
    const example = GEMINI_DEFAULT_BASE_URL;
    const url = baseUrl(s.GEMINI_BASE_URL ?? example, ctx, "GEMINI_BASE_URL", "GEMINI_API_KEY", example);
    if (url === undefined) return z.NEVER;
    if (!s.GEMINI_API_KEY) return problem(ctx, "GEMINI_API_KEY", "is missing: set it to a Gemini API key");
    const model = s.GEMINI_MODEL.replace(/^models\//, "");
    if (!/^[\w.-]+$/.test(model))
      return problem(ctx, "GEMINI_MODEL", "must be a Gemini model name such as gemini-2.5-flash");
    // SDKs spell the base with its version; the adapter adds the version itself.
    return { apiKey: s.GEMINI_API_KEY, baseUrl: url.replace(/\/v1(beta|alpha)?$/, ""), model, zone: s.GEMINI_LLM_ZONE };
  });

// ---- Workers AI ---------------------------------------------------------------------------------

export interface WorkersAiLlmSettings {
  ai: AiRunner;
  model: string;
  zone: LlmZone;
}

/** Function calling and streaming, on Workers AI (https://developers.cloudflare.com/workers-ai/models/). */
export const WORKERS_AI_DEFAULT_LLM_MODEL = "@cf/meta/llama-3.3-70b-instruct-fp8-fast";

const isRunner = (value: unknown): value is AiRunner =>
  typeof value === "object" && value !== null && typeof (value as { run?: unknown }).run === "function";

export const workersAiLlmSettingsSchema = z
  .object({
    AI: z.custom<AiRunner>(
      isRunner,
      'add an [ai] binding named AI to wrangler.toml (a line [ai] followed by binding = "AI")',
    ),
    WORKERS_AI_LLM_MODEL: model(
      WORKERS_AI_DEFAULT_LLM_MODEL,
      "The text-generation model when an agent names none; agents with tools need one that supports function calling.",
    ),
    WORKERS_AI_LLM_ZONE: zone("Workers AI"),
  })
  .transform((s): WorkersAiLlmSettings => ({ ai: s.AI, model: s.WORKERS_AI_LLM_MODEL, zone: s.WORKERS_AI_LLM_ZONE }));

/** The `region` of an HTTP adapter: its host, plus any path prefix (its breaker's key). */
export const regionOf = (settings: { baseUrl: string }) => endpointId(settings.baseUrl);
