import { describe, expect, it } from "vitest";
import { ApiError } from "../../errors";
import { readSettings } from "../settings";
import { deepgramModule } from "./index";

const SECRET = "very-secret-deepgram-key-value";
const env = (vars: Record<string, string>) => vars as unknown as Env;

function issuesFor(vars: Record<string, string>): string[] {
  const parsed = deepgramModule.settings.safeParse(vars);
  expect(parsed.success).toBe(false);
  return parsed.success ? [] : parsed.error.issues.map((i) => i.path.join("."));
}

describe("deepgram settings", () => {
  it("needs only the key: region global, nova-3, aura-2-thalia-en and 10 s by default", () => {
    expect(readSettings(deepgramModule, env({ DEEPGRAM_API_KEY: `${SECRET}\n` }))).toEqual({
      key: SECRET,
      region: "global",
      sttModel: "nova-3",
      ttsModel: "aura-2-thalia-en",
      timeoutMs: 10_000,
    });
  });

  it("takes the EU region, other models and a timeout", () => {
    expect(
      readSettings(
        deepgramModule,
        env({ DEEPGRAM_API_KEY: SECRET, DEEPGRAM_REGION: "eu", DEEPGRAM_STT_MODEL: "nova-2-phonecall", DEEPGRAM_TTS_MODEL: "aura-asteria-en", DEEPGRAM_TIMEOUT_MS: "3000" }),
      ),
    ).toEqual({ key: SECRET, region: "eu", sttModel: "nova-2-phonecall", ttsModel: "aura-asteria-en", timeoutMs: 3000 });
  });

  it("refuses a missing or blank key with an issue naming DEEPGRAM_API_KEY", () => {
    expect(issuesFor({})).toEqual(["DEEPGRAM_API_KEY"]);
    expect(issuesFor({ DEEPGRAM_API_KEY: "  " })).toEqual(["DEEPGRAM_API_KEY"]);
  });

  it.each([
    ["DEEPGRAM_REGION", "us-east"],
    ["DEEPGRAM_REGION", "EU"],
    ["DEEPGRAM_STT_MODEL", "nova 3"],
    ["DEEPGRAM_STT_MODEL", "../v2"],
    ["DEEPGRAM_TTS_MODEL", "thalia"],
    ["DEEPGRAM_TTS_MODEL", "aura-2-thalia-en&encoding=mp3"],
    ["DEEPGRAM_TIMEOUT_MS", "50"],
  ])("refuses %s=%j with an issue naming it", (name, value) => {
    expect(issuesFor({ DEEPGRAM_API_KEY: SECRET, [name]: value })).toEqual([name]);
  });

  it("readSettings answers 503 provider_misconfigured naming the variable, never the secret", () => {
    let caught: unknown;
    try {
      readSettings(deepgramModule, env({ DEEPGRAM_API_KEY: `${SECRET} x`, DEEPGRAM_REGION: "mars" }));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ApiError);
    const err = caught as ApiError;
    expect([err.status, err.code]).toEqual([503, "provider_misconfigured"]);
    expect(err.detail).toContain("DEEPGRAM_API_KEY");
    expect(err.detail).toContain("DEEPGRAM_REGION");
    expect(err.detail).not.toContain(SECRET);
    expect(err.message).not.toContain(SECRET);
  });

  it("declares both engines, reporting the configured region", () => {
    const s = readSettings(deepgramModule, env({ DEEPGRAM_API_KEY: SECRET, DEEPGRAM_REGION: "eu" }));
    const stt = deepgramModule.stt!(s, env({}));
    const tts = deepgramModule.tts!(s, env({}));
    expect([stt.name, stt.region, tts.name, tts.region]).toEqual(["deepgram", "eu", "deepgram", "eu"]);
    expect(stt.containers).toEqual(["ogg", "webm", "mp3", "flac"]);
    expect(tts.encodings).toEqual(["pcm", "mp3", "ogg"]);
  });
});
