/**
 * The language-model adapters this build knows, and the chain LLM_PROVIDERS picks from them in
 * preference order. Like the speech registry (src/providers/registry.ts): settings are parsed
 * once per deployment environment, a misconfiguration is a 503 naming the setting (never its
 * value), and the hints are generated from this table so they never name a setting that does not exist.
 */
import type { z } from "zod";
import { providerList, type Config } from "../../config/config";
import { ApiError } from "../../lib/errors";
import { AnthropicModel } from "./anthropic";
import { GeminiModel } from "./gemini";
import { OpenAiChatModel } from "./openai";
import {
  anthropicSettingsSchema,
  geminiSettingsSchema,
  openAiLlmSettingsSchema,
  workersAiLlmSettingsSchema,
} from "./settings";
import type { LanguageModel } from "./types";
import { WorkersAiChatModel } from "./workers-ai";

export interface LlmModule<S = unknown> {
  /** The name in LLM_PROVIDERS. */
  name: string;
  /** What the provider is, for docs/configuration.md. */
  title: string;
  /** One line for hints: what to set. */
  needs: string;
  settings: z.ZodType<S>;
  model: (settings: S) => LanguageModel;
}

const llmModule = <S>(m: LlmModule<S>): LlmModule<S> => m;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const LLM_MODULES: readonly LlmModule<any>[] = [
  llmModule({
    name: "openai",
    title: "Any OpenAI-compatible Chat Completions server",
    needs:
      "OPENAI_LLM_API_KEY (or OPENAI_API_KEY; optional for a server that needs none), optional " +
      "OPENAI_LLM_BASE_URL (e.g. http://localhost:11434 for Ollama), OPENAI_LLM_MODEL, OPENAI_LLM_ZONE",
    settings: openAiLlmSettingsSchema,
    model: (s) => new OpenAiChatModel(s),
  }),
  llmModule({
    name: "anthropic",
    title: "Anthropic's Messages API",
    needs: "ANTHROPIC_API_KEY; optional ANTHROPIC_MODEL, ANTHROPIC_BASE_URL, ANTHROPIC_LLM_ZONE",
    settings: anthropicSettingsSchema,
    model: (s) => new AnthropicModel(s),
  }),
  llmModule({
    name: "google",
    title: "Google's Gemini API",
    needs: "GEMINI_API_KEY; optional GEMINI_MODEL, GEMINI_BASE_URL, GEMINI_LLM_ZONE",
    settings: geminiSettingsSchema,
    model: (s) => new GeminiModel(s),
  }),
  llmModule({
    name: "workers-ai",
    title: "Workers AI text generation, through the `AI` binding",
    needs:
      'an [ai] binding named AI in wrangler.toml ([ai] binding = "AI"); optional WORKERS_AI_LLM_MODEL, ' +
      "WORKERS_AI_LLM_ZONE",
    settings: workersAiLlmSettingsSchema,
    model: (s) => new WorkersAiChatModel(s),
  }),
];

/** What to set when an agent call finds no language model configured. */
export function llmSetupHint(): string {
  const names = LLM_MODULES.map((m) => `'${m.name}' (${m.needs})`);
  return `Set LLM_PROVIDERS in wrangler.toml [vars] or .dev.vars to one or more of ${names.join("; ")}.`;
}

/**
 * Parsed settings per deployment environment and module (see settingsCache in
 * src/providers/registry.ts for why). Failures are not kept: each request that needs a
 * misconfigured provider gets the problem, with its detail.
 */
const settingsCache = new WeakMap<object, Map<string, unknown>>();

function settingsFor<S>(module: LlmModule<S>, env: Env): S {
  let perEnv = settingsCache.get(env);
  if (!perEnv) settingsCache.set(env, (perEnv = new Map()));
  if (perEnv.has(module.name)) return perEnv.get(module.name) as S;
  const parsed = module.settings.safeParse(env as unknown as Record<string, unknown>);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "settings"}: ${i.message}`).join("; ");
    throw new ApiError(
      503,
      "provider_misconfigured",
      `Language-model provider '${module.name}' is in LLM_PROVIDERS but its settings are incomplete: ${issues}. ` +
        "Secrets go in with 'wrangler secret put' (or .dev.vars locally), bindings in wrangler.toml.",
    );
  }
  perEnv.set(module.name, parsed.data);
  return parsed.data;
}

/**
 * The configured language models, in LLM_PROVIDERS order, each built with its parsed settings.
 * Empty when LLM_PROVIDERS is. An unknown name or a misconfigured provider throws the 503.
 */
export function llmChain(env: Env, config: Config): LanguageModel[] {
  return providerList(config.LLM_PROVIDERS).map((name) => {
    const module = LLM_MODULES.find((m) => m.name === name);
    if (!module) {
      throw new ApiError(
        503,
        "provider_misconfigured",
        `LLM_PROVIDERS names '${name}', which is not a language-model provider; known: ` +
          `${LLM_MODULES.map((m) => m.name).join(", ")}.`,
      );
    }
    return module.model(settingsFor(module, env));
  });
}
