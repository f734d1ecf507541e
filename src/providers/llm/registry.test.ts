import { afterEach, describe, expect, it, vi } from "vitest";
import { getConfig } from "../../config/config";
import { ApiError } from "../../lib/errors";
import { LLM_MODULES, llmChain, llmSetupHint } from "./registry";

afterEach(() => vi.restoreAllMocks());

const SECRET = "sk-registry-0123456789abcdef";
const deployment = (vars: Record<string, unknown>) => vars as unknown as Env;
const chainOf = (e: Env) => llmChain(e, getConfig(e)).map((m) => `${m.name}@${m.region}:${m.zone}`);

function problem(run: () => unknown): ApiError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error("expected an ApiError");
}

describe("the language-model chain", () => {
  it("builds LLM_PROVIDERS in order, each with its parsed settings", () => {
    const e = deployment({
      LLM_PROVIDERS: "Anthropic, openai,workers-ai,google",
      ANTHROPIC_API_KEY: SECRET,
      ANTHROPIC_LLM_ZONE: "eu",
      OPENAI_LLM_BASE_URL: "http://localhost:11434",
      AI: { run: async () => null },
      GEMINI_API_KEY: SECRET,
    });
    expect(chainOf(e)).toEqual([
      "anthropic@api.anthropic.com:eu",
      "openai@localhost:11434:other",
      "workers-ai@cloudflare:other",
      "google@generativelanguage.googleapis.com:other",
    ]);
  });

  it("is empty when LLM_PROVIDERS is", () => {
    expect(chainOf(deployment({}))).toEqual([]);
  });

  it("parses a provider's settings once per deployment environment", () => {
    const openai = LLM_MODULES.find((m) => m.name === "openai")!;
    const parse = vi.spyOn(openai.settings, "safeParse");
    const e = deployment({ LLM_PROVIDERS: "openai", OPENAI_LLM_API_KEY: SECRET });
    chainOf(e);
    chainOf(e);
    expect(parse).toHaveBeenCalledTimes(1);
    chainOf(deployment({ LLM_PROVIDERS: "openai", OPENAI_LLM_API_KEY: SECRET }));
    expect(parse).toHaveBeenCalledTimes(2);
  });

  it("answers 503 provider_misconfigured naming the setting, never its value, on every request", () => {
    const e = deployment({ LLM_PROVIDERS: "anthropic", ANTHROPIC_API_KEY: `${SECRET} with spaces` });
    for (let i = 0; i < 2; i++) {
      const err = problem(() => chainOf(e));
      expect([err.status, err.code]).toEqual([503, "provider_misconfigured"]);
      expect(err.detail).toContain("ANTHROPIC_API_KEY");
      expect(err.detail).not.toContain(SECRET);
    }
  });

  it("refuses an unknown provider name, listing the known ones", () => {
    const err = problem(() => chainOf(deployment({ LLM_PROVIDERS: "openai,cohere", OPENAI_LLM_API_KEY: SECRET })));
    expect(err.detail).toBe(
      "LLM_PROVIDERS names 'cohere', which is not a language-model provider; " +
        "known: openai, anthropic, google, workers-ai.",
    );
  });

  it("has a setup hint naming each provider's settings", () => {
    for (const setting of ["LLM_PROVIDERS", "OPENAI_LLM_BASE_URL", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "[ai]"])
      expect(llmSetupHint()).toContain(setting);
  });
});
