import { describe, expect, it } from "vitest";
import { asApiError } from "../lib/errors";
import { ConfigSchema } from "../config/config";
import { sttStreamChain } from "./registry";

const chain = (vars: Record<string, unknown>) => {
  const env = vars as unknown as Env;
  return sttStreamChain(env, ConfigSchema.parse(env));
};

describe("the streaming STT chain (STT_STREAMING_PROVIDERS)", () => {
  it("is empty, so off, unless set", () => {
    expect(chain({})).toEqual([]);
    expect(chain({ STT_STREAMING_PROVIDERS: " " })).toEqual([]);
  });

  it("builds the named recognisers in preference order, one per listed region", () => {
    const built = chain({
      STT_STREAMING_PROVIDERS: "assemblyai, deepgram",
      ASSEMBLYAI_API_KEY: "aai-key-0123456789abcdef",
      DEEPGRAM_API_KEY: "dg-key-0123456789abcdef",
      DEEPGRAM_REGIONS: "global,eu",
    });
    expect(built.map((s) => `${s.name}@${s.region}`)).toEqual(["assemblyai@global", "deepgram@global", "deepgram@eu"]);
  });

  it("refuses a name that has no streaming recogniser with a 503 provider_misconfigured naming the known ones", () => {
    for (const name of ["google", "nope"]) {
      let thrown: unknown;
      try {
        chain({ STT_STREAMING_PROVIDERS: name });
      } catch (err) {
        thrown = err;
      }
      const problem = asApiError(thrown);
      expect(problem).toMatchObject({ status: 503, code: "provider_misconfigured" });
      expect(problem?.detail).toContain(`STT_STREAMING_PROVIDERS names '${name}'`);
      expect(problem?.detail).toMatch(/streaming speech-to-text provider; known: deepgram, workers-ai, assemblyai/);
    }
  });

  it("reports a named provider's missing settings as for the batch chain", () => {
    expect(() => chain({ STT_STREAMING_PROVIDERS: "assemblyai" })).toThrow(/ASSEMBLYAI_API_KEY/);
  });
});
