import { describe, expect, it } from "vitest";
import { getConfig } from "../config/config";
import { ApiError } from "../lib/errors";
import { llmConfigurationProblem, llmModelsFor, type LlmSelection } from "./llm-order";

const KEY = "sk-order-0123456789abcdef";
/** Anthropic in the EU zone, OpenAI (Ollama) and Gemini elsewhere. */
const VARS = {
  LLM_PROVIDERS: "openai,anthropic,google",
  OPENAI_LLM_BASE_URL: "http://localhost:11434",
  ANTHROPIC_API_KEY: KEY,
  ANTHROPIC_LLM_ZONE: "eu",
  GEMINI_API_KEY: KEY,
};
const env = (vars: Record<string, unknown> = VARS) => vars as unknown as Env;
const names = (vars: Record<string, unknown>, selection: LlmSelection) => {
  const e = env(vars);
  return llmModelsFor(e, getConfig(e), selection).map((m) => m.name);
};
const problemOf = (vars: Record<string, unknown>, selection: LlmSelection = {}) => {
  const e = env(vars);
  return llmConfigurationProblem(e, getConfig(e), selection.residency, selection.provider);
};

describe("llmModelsFor", () => {
  it("keeps LLM_PROVIDERS order for a call without residency", () => {
    expect(names(VARS, {})).toEqual(["openai", "anthropic", "google"]);
  });

  it("keeps only EU endpoints for an EU-resident call", () => {
    expect(names(VARS, { residency: "eu" })).toEqual(["anthropic"]);
  });

  it("restricts the chain to the agent's provider", () => {
    expect(names(VARS, { provider: "Google" })).toEqual(["google"]);
  });

  it("refuses, as 503 residency_unavailable naming the settings, an EU call with no EU endpoint", () => {
    const e = env(VARS);
    let caught: unknown;
    try {
      llmModelsFor(e, getConfig(e), { residency: "eu", provider: "openai" });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ApiError);
    expect((caught as ApiError).code).toBe("residency_unavailable");
    expect((caught as ApiError).detail).toContain("openai@localhost:11434 (other)");
    expect((caught as ApiError).detail).toContain("OPENAI_LLM_ZONE=eu");
  });
});

describe("llmConfigurationProblem", () => {
  it("is undefined when the call can be served", () => {
    expect(problemOf(VARS)).toBeUndefined();
    expect(problemOf(VARS, { residency: "eu" })).toBeUndefined();
  });

  it("names LLM_PROVIDERS and every provider's settings when none is configured", () => {
    const problem = problemOf({});
    expect(problem).toMatch(/^No language model is configured\. Set LLM_PROVIDERS/);
    expect(problem).toContain("ANTHROPIC_API_KEY");
  });

  it("names the missing setting of a misconfigured provider, and an agent provider that is not listed", () => {
    expect(problemOf({ ...VARS, GEMINI_API_KEY: "" })).toContain("GEMINI_API_KEY");
    expect(problemOf(VARS, { provider: "workers-ai" })).toBe(
      "The agent's llm.provider is 'workers-ai', which is not in LLM_PROVIDERS (openai, anthropic, google). " +
        "Add it there, or change the agent.",
    );
  });

  it("says what to set for an EU call when no endpoint is in the EU", () => {
    const { ANTHROPIC_LLM_ZONE: _eu, ...noEu } = VARS;
    expect(problemOf(noEu, { residency: "eu" })).toMatch(
      /may only use EU language-model endpoints.*ANTHROPIC_LLM_ZONE=eu/,
    );
  });
});
