import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { getConfig } from "../config/config";
import { asApiError } from "../lib/errors";
import { openaiModule } from "./openai";
import { sttChain } from "./registry";

afterEach(() => vi.restoreAllMocks());

const deployment = (vars: Record<string, string>) => ({ ...env, STT_PROVIDERS: "openai", ...vars }) as unknown as Env;
const chainOf = (e: Env) => sttChain(e, getConfig(e)).map((p) => `${p.name}@${p.region}`);

describe("provider chains", () => {
  it("parses a provider's settings once per deployment environment and region, not on every request", () => {
    const parse = vi.spyOn(openaiModule.settings, "safeParse");
    const one = deployment({ OPENAI_BASE_URLS: "https://stt-a.example.com,https://stt-b.example.com" });
    expect(chainOf(one)).toEqual(["openai@stt-a.example.com", "openai@stt-b.example.com"]);
    expect(chainOf(one)).toEqual(["openai@stt-a.example.com", "openai@stt-b.example.com"]);
    expect(parse).toHaveBeenCalledTimes(2); // one per region, the first time only
    // Another environment (a changed variable) is read afresh.
    expect(chainOf(deployment({ OPENAI_BASE_URL: "https://stt-c.example.com" }))).toEqual(["openai@stt-c.example.com"]);
    expect(parse).toHaveBeenCalledTimes(3);
  });

  it("reports a misconfigured provider on every request that needs it (a failure is not kept)", () => {
    const broken = deployment({ OPENAI_BASE_URL: "not a url" });
    for (let i = 0; i < 2; i++) {
      let caught: unknown;
      try {
        chainOf(broken);
      } catch (err) {
        caught = err;
      }
      expect(asApiError(caught)?.code).toBe("provider_misconfigured");
    }
  });
});
