import { describe, expect, it } from "vitest";
import { ApiError } from "../../lib/errors";
import { readSettings } from "../settings";
import { openaiModule } from "./index";
import { openAiSettingsSchema } from "./settings";
import { OpenAiSpeechToText } from "./stt";
import { OpenAiSpeechSynthesizer } from "./tts";

const KEY = "sk-proj-secret-value-0123456789";
const env = (vars: Record<string, unknown>) => vars as unknown as Env;

function issuesFor(vars: Record<string, unknown>): { path: string; message: string }[] {
  const parsed = openAiSettingsSchema.safeParse(vars);
  expect(parsed.success).toBe(false);
  return parsed.error!.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
}

function misconfigured(vars: Record<string, unknown>): ApiError {
  try {
    readSettings(openaiModule, env(vars));
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(503);
    expect((err as ApiError).code).toBe("provider_misconfigured");
    return err as ApiError;
  }
  throw new Error("expected the settings to be refused");
}

describe("openai settings", () => {
  it("needs only the key for api.openai.com and fills the documented defaults", () => {
    expect(readSettings(openaiModule, env({ OPENAI_API_KEY: KEY }))).toEqual({
      apiKey: KEY,
      baseUrl: "https://api.openai.com",
      sttModel: "gpt-4o-mini-transcribe",
      ttsModel: "gpt-4o-mini-tts",
      ttsVoice: "alloy",
      timeoutMs: 10_000,
    });
  });

  it("reads every setting", () => {
    const s = readSettings(
      openaiModule,
      env({
        OPENAI_API_KEY: KEY,
        OPENAI_BASE_URL: "https://proxy.example.com/openai/v1/",
        OPENAI_STT_MODEL: "whisper-1",
        OPENAI_TTS_MODEL: "tts-1-hd",
        OPENAI_TTS_VOICE: "sage",
        OPENAI_TIMEOUT_MS: "2500",
      }),
    );
    expect(s).toEqual({
      apiKey: KEY,
      baseUrl: "https://proxy.example.com/openai",
      sttModel: "whisper-1",
      ttsModel: "tts-1-hd",
      ttsVoice: "sage",
      timeoutMs: 2500,
    });
  });

  it("refuses api.openai.com without a key, naming OPENAI_API_KEY (a blank value counts as missing)", () => {
    for (const vars of [{}, { OPENAI_API_KEY: "  " }, { OPENAI_BASE_URL: "https://api.openai.com/v1" }]) {
      expect(issuesFor(vars).map((i) => i.path)).toEqual(["OPENAI_API_KEY"]);
      expect(misconfigured(vars).detail).toContain("OPENAI_API_KEY");
    }
  });

  it("allows no key for a self-hosted server, over http only on localhost/127.0.0.1", () => {
    for (const url of ["http://localhost:8000", "http://127.0.0.1:8880/v1", "https://whisper.internal.example"]) {
      expect(openAiSettingsSchema.parse({ OPENAI_BASE_URL: url }).apiKey).toBeUndefined();
    }
    expect(openAiSettingsSchema.parse({ OPENAI_BASE_URL: "http://127.0.0.1:8880/v1" }).baseUrl).toBe(
      "http://127.0.0.1:8880",
    );
  });

  it.each([
    ["not a URL", "whisper.example.com/v1"],
    ["plain http to a remote host", "http://whisper.example.com"],
    ["another scheme", "ftp://whisper.example.com"],
    ["credentials in the URL", "https://user:hunter2secret@whisper.example.com"],
    ["a query string", "https://whisper.example.com/?token=abc123secret"],
    ["a fragment", "https://whisper.example.com/#x"],
  ])("refuses OPENAI_BASE_URL with %s, without quoting it", (_label, url) => {
    const issues = issuesFor({ OPENAI_API_KEY: KEY, OPENAI_BASE_URL: url });
    expect(issues.map((i) => i.path)).toContain("OPENAI_BASE_URL");
    const detail = misconfigured({ OPENAI_API_KEY: KEY, OPENAI_BASE_URL: url }).detail;
    expect(detail).toContain("OPENAI_BASE_URL");
    expect(detail).not.toContain("whisper.example.com");
    expect(detail).not.toMatch(/hunter2|abc123/);
  });

  it("reads OPENAI_BASE_URLS, naming a bad entry by position and refusing an endpoint listed twice", () => {
    const urls = "http://127.0.0.1:9001/v1, https://whisper.example.com/EU";
    // The registry hands each engine its entry, lowercased, in OPENAI_BASE_URL; the list keeps the spelling.
    expect(
      readSettings(openaiModule, env({ OPENAI_BASE_URLS: urls, OPENAI_BASE_URL: "https://whisper.example.com/eu" }))
        .baseUrl,
    ).toBe("https://whisper.example.com/EU");
    expect(
      readSettings(openaiModule, env({ OPENAI_BASE_URLS: urls, OPENAI_BASE_URL: "http://127.0.0.1:9001/v1" })).baseUrl,
    ).toBe("http://127.0.0.1:9001");
    expect(issuesFor({ OPENAI_BASE_URLS: "http://localhost:9001, http://whisper.example.com" })).toEqual([
      {
        path: "OPENAI_BASE_URLS",
        message: "entry 2 must be an https URL (plain http is allowed only for localhost or 127.0.0.1)",
      },
    ]);
    expect(
      issuesFor({ OPENAI_BASE_URLS: "http://localhost:9001, http://localhost:9001/v1/" }).map((i) => i.message),
    ).toEqual(["entries 1 and 2 are the same endpoint; list each server once"]);
    // api.openai.com in the list still needs the key.
    expect(
      issuesFor({
        OPENAI_BASE_URLS: "https://api.openai.com, http://localhost:9001",
        OPENAI_BASE_URL: "https://api.openai.com",
      }).map((i) => i.path),
    ).toEqual(["OPENAI_API_KEY"]);
  });

  it("refuses a malformed key without revealing it", () => {
    const bad = `"${KEY} extra"`;
    expect(issuesFor({ OPENAI_API_KEY: bad }).map((i) => i.path)).toEqual(["OPENAI_API_KEY"]);
    const detail = misconfigured({ OPENAI_API_KEY: bad }).detail;
    expect(detail).toContain("OPENAI_API_KEY");
    expect(detail).not.toContain(KEY);
  });

  it.each([
    ["OPENAI_TIMEOUT_MS", "soon"],
    ["OPENAI_TIMEOUT_MS", "50"],
    ["OPENAI_STT_MODEL", "whisper 1; drop"],
    ["OPENAI_TTS_VOICE", "a".repeat(201)],
  ])("refuses a malformed %s, naming it", (name, value) => {
    expect(issuesFor({ OPENAI_API_KEY: KEY, [name]: value }).map((i) => i.path)).toEqual([name]);
    expect(misconfigured({ OPENAI_API_KEY: KEY, [name]: value }).detail).toContain(name);
  });

  it("builds both engines from the settings", () => {
    const settings = readSettings(openaiModule, env({ OPENAI_API_KEY: KEY }));
    expect(openaiModule.name).toBe("openai");
    expect(openaiModule.stt!(settings, env({}))).toBeInstanceOf(OpenAiSpeechToText);
    expect(openaiModule.tts!(settings, env({}))).toBeInstanceOf(OpenAiSpeechSynthesizer);
  });
});
