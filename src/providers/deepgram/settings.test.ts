import { describe, expect, it } from "vitest";
import { ApiError } from "../../lib/errors";
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
      baseUrl: "https://api.deepgram.com",
      sttModel: "nova-3",
      ttsModel: "aura-2-thalia-en",
      timeoutMs: 10_000,
    });
  });

  it("takes the EU region, other models and a timeout", () => {
    expect(
      readSettings(
        deepgramModule,
        env({
          DEEPGRAM_API_KEY: SECRET,
          DEEPGRAM_REGION: "eu",
          DEEPGRAM_STT_MODEL: "nova-2-phonecall",
          DEEPGRAM_TTS_MODEL: "aura-asteria-en",
          DEEPGRAM_TIMEOUT_MS: "3000",
        }),
      ),
    ).toEqual({
      key: SECRET,
      region: "eu",
      baseUrl: "https://api.eu.deepgram.com",
      sttModel: "nova-2-phonecall",
      ttsModel: "aura-asteria-en",
      timeoutMs: 3000,
    });
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

  it(
    "takes DEEPGRAM_BASE_URL for Deepgram self-hosted: no key " +
      "needed, the endpoint id as region, over DEEPGRAM_REGION",
    () => {
      expect(
        readSettings(deepgramModule, env({ DEEPGRAM_BASE_URL: "http://localhost:8080/v1/", DEEPGRAM_REGION: "eu" })),
      ).toMatchObject({
        key: undefined,
        region: "localhost:8080",
        baseUrl: "http://localhost:8080",
      });
      expect(
        readSettings(
          deepgramModule,
          env({ DEEPGRAM_API_KEY: SECRET, DEEPGRAM_BASE_URL: "https://stt.internal.example/deepgram" }),
        ),
      ).toMatchObject({
        key: SECRET,
        region: "stt.internal.example/deepgram",
        baseUrl: "https://stt.internal.example/deepgram",
      });
      // Deepgram's own hosts written as a URL keep their region names (and still need the key).
      expect(
        readSettings(
          deepgramModule,
          env({ DEEPGRAM_API_KEY: SECRET, DEEPGRAM_BASE_URL: "https://api.eu.deepgram.com/v1" }),
        ),
      ).toMatchObject({ region: "eu", baseUrl: "https://api.eu.deepgram.com" });
      expect(issuesFor({ DEEPGRAM_BASE_URL: "https://api.deepgram.com" })).toEqual(["DEEPGRAM_API_KEY"]);
    },
  );

  it.each([
    ["not a URL", "localhost:8080"],
    ["plain http to a remote host", "http://deepgram.internal.example:8080"],
    ["credentials in the URL", "https://admin:hunter2secret@deepgram.internal.example"],
    ["a query string", "https://deepgram.internal.example/?token=abc123secret"],
  ])("refuses DEEPGRAM_BASE_URL with %s, naming it and not quoting it", (_label, url) => {
    expect(issuesFor({ DEEPGRAM_BASE_URL: url })).toEqual(["DEEPGRAM_BASE_URL"]);
    let detail = "";
    try {
      readSettings(deepgramModule, env({ DEEPGRAM_BASE_URL: url }));
    } catch (err) {
      detail = (err as ApiError).detail;
    }
    expect(detail).toMatch(/^Provider 'deepgram' .*DEEPGRAM_BASE_URL: must/);
    expect(detail).not.toMatch(/internal\.example|hunter2|abc123/);
  });

  it("refuses DEEPGRAM_BASE_URL together with DEEPGRAM_REGIONS (one server, not several regions)", () => {
    const parsed = deepgramModule.settings.safeParse({
      DEEPGRAM_BASE_URL: "http://localhost:8080",
      DEEPGRAM_REGIONS: "global,eu",
      DEEPGRAM_REGION: "eu",
    });
    expect(parsed.error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`)).toEqual([
      "DEEPGRAM_BASE_URL: cannot be combined with DEEPGRAM_REGIONS (a " +
        "self-hosted server is one endpoint); unset one of them",
    ]);
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
