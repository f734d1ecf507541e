/**
 * Which language models may serve one agent call, in the order they are tried: LLM_PROVIDERS'
 * order, confined to the call's residency zone, and to the agent's own provider when it names one.
 *
 * - Residency is a hard rule, as for speech (resident-order.ts): an EU-resident call only uses
 *   endpoints whose *_LLM_ZONE is `eu`; with none configured it fails with a 503 naming what to set,
 *   rather than sending a resident's words elsewhere.
 * - An agent's `llm.provider` restricts the chain to that provider (its endpoints still fail over
 *   among themselves). It does not merely move it first: an agent that names a provider usually
 *   names that provider's model too (`llm.model`), which another provider would not know, and a
 *   tenant who picked a provider may not have agreed to its words going to another one.
 */
import type { Residency } from "../call/residency";
import type { Config } from "../config/config";
import { ApiError } from "../lib/errors";
import { llmChain, llmSetupHint } from "../providers/llm/registry";
import type { LanguageModel } from "../providers/llm/types";

/** The settings that put each provider's endpoint in the EU zone, for the hint when an EU call has none. */
const EU_SETTINGS =
  "OPENAI_LLM_ZONE=eu (with OPENAI_LLM_BASE_URL on an EU endpoint, e.g. Azure OpenAI in an EU region or " +
  "Mistral), ANTHROPIC_LLM_ZONE=eu, GEMINI_LLM_ZONE=eu or WORKERS_AI_LLM_ZONE=eu, each only for an endpoint " +
  "that keeps the data in the EU";

export interface LlmSelection {
  /** The call's residency: "eu" keeps only zone "eu" endpoints. */
  residency?: Residency | null | undefined;
  /** The agent's `llm.provider`: only that provider's endpoints are used. */
  provider?: string | undefined;
}

/**
 * The models for one agent call, in the order to try them. Throws ApiError 503:
 * `provider_misconfigured` when LLM_PROVIDERS is empty, names an unknown provider, a listed
 * provider's settings are incomplete, or the agent's provider is not listed; `residency_unavailable`
 * when none of the candidates is in the call's zone.
 */
export function llmModelsFor(env: Env, config: Config, selection: LlmSelection = {}): LanguageModel[] {
  const chain = llmChain(env, config);
  if (!chain.length)
    throw new ApiError(503, "provider_misconfigured", `No language model is configured. ${llmSetupHint()}`);
  const pinned = selection.provider?.trim().toLowerCase();
  const candidates = pinned ? chain.filter((m) => m.name === pinned) : chain;
  if (!candidates.length) {
    throw new ApiError(
      503,
      "provider_misconfigured",
      `The agent's llm.provider is '${pinned}', which is not in LLM_PROVIDERS ` +
        `(${[...new Set(chain.map((m) => m.name))].join(", ")}). Add it there, or change the agent.`,
    );
  }
  if (selection.residency !== "eu") return candidates;
  const resident = candidates.filter((m) => m.zone === "eu");
  if (!resident.length) {
    const configured = candidates.map((m) => `${m.name}@${m.region} (${m.zone})`).join(", ");
    throw new ApiError(
      503,
      "residency_unavailable",
      `This EU-resident call may only use EU language-model endpoints, and none of ${configured} is one. ` +
        `Configure one: ${EU_SETTINGS}.`,
    );
  }
  return resident;
}

/**
 * Why an agent call with this residency (and agent provider) could not be served, naming the
 * settings to change; undefined when it could. For refusing an agent call at creation, before any
 * turn needs a model.
 */
export function llmConfigurationProblem(
  env: Env,
  config: Config,
  residency: Residency | null | undefined,
  provider?: string,
): string | undefined {
  try {
    llmModelsFor(env, config, { residency, provider });
    return undefined;
  } catch (err) {
    if (err instanceof ApiError) return err.detail;
    throw err;
  }
}
