import { describe, expect, it } from "vitest";
import { ApiError } from "../../lib/errors";
import { readSettings } from "../settings";
import { workersAiModule } from "./index";
import { workersAiSettingsSchema } from "./settings";
import { WorkersAiSpeechToText } from "./stt";
import { WorkersAiSpeechSynthesizer } from "./tts";
import { fakeAi } from "./test-support";

const { ai } = fakeAi({ text: "" });
const env = (vars: Record<string, unknown>) => vars as unknown as Env;

function issuesFor(vars: Record<string, unknown>): { path: string; message: string }[] {
  const parsed = workersAiSettingsSchema.safeParse(vars);
  expect(parsed.success).toBe(false);
  return parsed.error!.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
}

function misconfigured(vars: Record<string, unknown>): string {
  try {
    readSettings(workersAiModule, env(vars));
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(503);
    expect((err as ApiError).code).toBe("provider_misconfigured");
    return (err as ApiError).detail;
  }
  throw new Error("expected the settings to be refused");
}

describe("workers-ai settings", () => {
  it("needs only the AI binding and fills the documented defaults", () => {
    expect(readSettings(workersAiModule, env({ AI: ai }))).toEqual({
      ai,
      sttModel: "@cf/openai/whisper-large-v3-turbo",
      ttsModel: "@cf/deepgram/aura-1",
      ttsVoice: undefined,
      timeoutMs: 10_000,
    });
  });

  it("reads every setting (blank values count as unset)", () => {
    const s = readSettings(
      workersAiModule,
      env({
        AI: ai,
        WORKERS_AI_STT_MODEL: "@cf/deepgram/nova-3",
        WORKERS_AI_TTS_MODEL: "@cf/deepgram/aura-2-en",
        WORKERS_AI_TTS_VOICE: "Thalia",
        WORKERS_AI_TIMEOUT_MS: "30000",
      }),
    );
    expect(s).toMatchObject({
      sttModel: "@cf/deepgram/nova-3",
      ttsModel: "@cf/deepgram/aura-2-en",
      ttsVoice: "thalia",
      timeoutMs: 30_000,
    });
    expect(
      readSettings(workersAiModule, env({ AI: ai, WORKERS_AI_STT_MODEL: " ", WORKERS_AI_TTS_VOICE: "" })),
    ).toMatchObject({ sttModel: "@cf/openai/whisper-large-v3-turbo", ttsVoice: undefined });
  });

  it.each([
    ["missing", undefined],
    ["a string", "AI"],
    ["an object without run()", { fetch: () => null }],
  ])("refuses an AI binding that is %s, saying how to add it", (_label, binding) => {
    const issues = issuesFor({ AI: binding });
    expect(issues).toEqual([
      { path: "AI", message: expect.stringContaining("add an [ai] binding named AI to wrangler.toml") },
    ]);
    expect(misconfigured({ AI: binding })).toContain("AI: add an [ai] binding named AI to wrangler.toml");
  });

  it("refuses MeloTTS, which answers MP3 only, explaining why", () => {
    const issues = issuesFor({ AI: ai, WORKERS_AI_TTS_MODEL: "@cf/myshell-ai/melotts" });
    expect(issues.map((i) => i.path)).toEqual(["WORKERS_AI_TTS_MODEL"]);
    expect(issues[0]!.message).toContain("MP3 only");
  });

  it.each([
    ["WORKERS_AI_STT_MODEL", "@cf/openai/whisper-tiny-en"],
    ["WORKERS_AI_TTS_MODEL", "@cf/deepgram/aura-9"],
    ["WORKERS_AI_TIMEOUT_MS", "fast"],
    ["WORKERS_AI_TIMEOUT_MS", "999999"],
  ])("refuses a malformed %s, naming it", (name, value) => {
    expect(issuesFor({ AI: ai, [name]: value }).map((i) => i.path)).toEqual([name]);
    expect(misconfigured({ AI: ai, [name]: value })).toContain(name);
  });

  it("refuses a voice the chosen TTS model does not have, listing its speakers", () => {
    const issues = issuesFor({ AI: ai, WORKERS_AI_TTS_VOICE: "thalia" }); // an aura-2 speaker, not aura-1's
    expect(issues.map((i) => i.path)).toEqual(["WORKERS_AI_TTS_VOICE"]);
    expect(misconfigured({ AI: ai, WORKERS_AI_TTS_VOICE: "thalia" })).toContain(
      "WORKERS_AI_TTS_VOICE: must be a speaker of @cf/deepgram/aura-1: angus",
    );
  });

  it("builds both engines from the settings", () => {
    const settings = readSettings(workersAiModule, env({ AI: ai }));
    expect(workersAiModule.name).toBe("workers-ai");
    expect(workersAiModule.stt!(settings, env({}))).toBeInstanceOf(WorkersAiSpeechToText);
    expect(workersAiModule.tts!(settings, env({}))).toBeInstanceOf(WorkersAiSpeechSynthesizer);
  });
});
