import { afterEach, describe, expect, it, vi } from "vitest";
import type { Config } from "../../config/config";
import { summarize } from "../../routing/attempts";
import { HealthRegistry } from "../../routing/health-registry";
import { callWithResilience } from "../../routing/resilient-call";
import { LISTEN_ANSWER } from "../deepgram/test-support";
import { sttChain } from "../registry";
import type { SttInput } from "../types";

/** Two OpenAI-compatible endpoints and a self-hosted Deepgram, as bench:faults configures them. */
const VARS = {
  STT_PROVIDERS: "openai,deepgram",
  OPENAI_BASE_URLS: "http://127.0.0.1:9001, http://127.0.0.1:9002/Whisper/v1",
  DEEPGRAM_BASE_URL: "http://127.0.0.1:9003",
};
const chainOf = (vars: Record<string, string>) =>
  sttChain(vars as unknown as Env, { STT_PROVIDERS: vars.STT_PROVIDERS } as Config);
const input: SttInput = {
  kind: "pcm",
  samples: Int16Array.from({ length: 1600 }, (_, i) => Math.round(8000 * Math.sin(i / 5))),
  sampleRate: 16000,
  language: "en-US",
};

afterEach(() => vi.restoreAllMocks());

describe("several OpenAI-compatible endpoints", () => {
  it("build one engine per OPENAI_BASE_URLS entry, each its own region, before the next provider", () => {
    expect(chainOf(VARS).map((e) => `${e.name}@${e.region}`)).toEqual([
      "openai@127.0.0.1:9001",
      "openai@127.0.0.1:9002/Whisper",
      "deepgram@127.0.0.1:9003",
    ]);
  });

  it("fail over endpoint to endpoint, then to the next provider, each on its own wire format", async () => {
    const urls: string[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (resource, init) => {
      const url = new Request(resource, init).url;
      urls.push(url);
      if (url.includes(":9003/")) return Response.json(LISTEN_ANSWER);
      return Response.json({ error: { message: "down", type: "server_error" } }, { status: 500 });
    });
    const { value, provider, attempts } = await callWithResilience(
      chainOf(VARS),
      (p, signal) => p.transcribe(input, signal),
      {
        deadlineMs: 8000,
        maxAttemptsPerProvider: 1,
        registry: new HealthRegistry(),
      },
    );
    expect(value.text).toBe("Your balance is $100.");
    expect(`${provider.name}@${provider.region}`).toBe("deepgram@127.0.0.1:9003");
    expect(summarize(attempts)).toBe(
      "openai@127.0.0.1:9001#1 failed 500, " +
        "openai@127.0.0.1:9002/Whisper#1 failed 500, deepgram@127.0.0.1:9003#1 success",
    );
    expect(urls.map((u) => u.replace(/\?.*/, ""))).toEqual([
      "http://127.0.0.1:9001/v1/audio/transcriptions",
      "http://127.0.0.1:9002/Whisper/v1/audio/transcriptions",
      "http://127.0.0.1:9003/v1/listen",
    ]);
  });

  it("refuse a bad entry with a settings problem naming OPENAI_BASE_URLS, not its value", () => {
    let detail = "";
    try {
      chainOf({ ...VARS, OPENAI_BASE_URLS: "http://127.0.0.1:9001, http://whisper.internal.example:9000" });
    } catch (err) {
      detail = (err as { detail: string }).detail;
    }
    expect(detail).toContain("Provider 'openai'");
    expect(detail).toContain("OPENAI_BASE_URLS: entry 2 must be an https URL");
    expect(detail).not.toContain("whisper.internal");
  });
});
