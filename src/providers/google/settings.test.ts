import { describe, expect, it } from "vitest";
import { ApiError } from "../../lib/errors";
import { readSettings } from "../settings";
import { googleModule } from "./index";
import { GoogleSpeechToText } from "./stt";
import { API_KEY } from "./test-support";
import { GoogleTextToSpeech } from "./tts";

const PEM = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n";
const keyFile = (over: Record<string, unknown> = {}) =>
  JSON.stringify({
    type: "service_account",
    client_email: "voice@proj-123.iam.gserviceaccount.com",
    private_key: PEM,
    token_uri: "https://oauth2.googleapis.com/token",
    ...over,
  });

const parse = (env: Record<string, unknown>) => googleModule.settings.safeParse(env);
const issuesOf = (env: Record<string, unknown>) => {
  const parsed = parse(env);
  expect(parsed.success).toBe(false);
  return parsed.error?.issues.map((i) => ({ path: i.path.join("."), message: i.message })) ?? [];
};
const misconfigured = (env: Record<string, unknown>): ApiError => {
  try {
    readSettings(googleModule, env as unknown as Env);
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error("readSettings accepted the settings");
};

describe("Google settings", () => {
  it("takes an API key alone, with defaults for the rest", () => {
    expect(parse({ GOOGLE_API_KEY: API_KEY }).data).toEqual({
      credentials: { kind: "api_key", apiKey: API_KEY },
      projectId: undefined,
      location: "global",
      sttModel: undefined,
      ttsVoice: undefined,
      timeoutMs: 10_000,
    });
  });

  it("takes a service account key file (preferred over a key when both are set) and the optional settings", () => {
    const parsed = parse({
      GOOGLE_API_KEY: API_KEY,
      GOOGLE_SERVICE_ACCOUNT_JSON: keyFile(),
      GOOGLE_PROJECT_ID: "voice-edge-prod",
      GOOGLE_LOCATION: "EU",
      GOOGLE_STT_MODEL: "latest_long",
      GOOGLE_TTS_VOICE: "en-US-Neural2-C",
      GOOGLE_TIMEOUT_MS: "4000",
    });
    expect(parsed.data).toEqual({
      credentials: {
        kind: "service_account",
        clientEmail: "voice@proj-123.iam.gserviceaccount.com",
        privateKeyPem: PEM,
        tokenUri: "https://oauth2.googleapis.com/token",
      },
      projectId: "voice-edge-prod",
      location: "eu",
      sttModel: "latest_long",
      ttsVoice: "en-US-Neural2-C",
      timeoutMs: 4000,
    });
    // token_uri is optional in the file; Google's endpoint is the default.
    expect(parse({ GOOGLE_SERVICE_ACCOUNT_JSON: keyFile({ token_uri: undefined }) }).data?.credentials).toMatchObject({
      tokenUri: "https://oauth2.googleapis.com/token",
    });
  });

  it("treats empty values as unset", () => {
    expect(
      parse({ GOOGLE_API_KEY: API_KEY, GOOGLE_SERVICE_ACCOUNT_JSON: "", GOOGLE_PROJECT_ID: " ", GOOGLE_LOCATION: "" })
        .data,
    ).toMatchObject({
      credentials: { kind: "api_key" },
      projectId: undefined,
      location: "global",
    });
  });

  it("needs one of the two credentials, naming both", () => {
    expect(issuesOf({})).toEqual([
      { path: "GOOGLE_API_KEY", message: expect.stringMatching(/GOOGLE_API_KEY .*or GOOGLE_SERVICE_ACCOUNT_JSON/) },
    ]);
  });

  it("refuses malformed values with an issue naming the variable", () => {
    expect(issuesOf({ GOOGLE_API_KEY: "has spaces in it but long enough" })[0]?.path).toBe("GOOGLE_API_KEY");
    expect(issuesOf({ GOOGLE_API_KEY: API_KEY, GOOGLE_LOCATION: "asia" })).toEqual([
      { path: "GOOGLE_LOCATION", message: "must be one of global, us, eu" },
    ]);
    expect(issuesOf({ GOOGLE_API_KEY: API_KEY, GOOGLE_PROJECT_ID: "My Project" })[0]?.path).toBe("GOOGLE_PROJECT_ID");
    expect(issuesOf({ GOOGLE_API_KEY: API_KEY, GOOGLE_STT_MODEL: "Latest Short" })[0]?.path).toBe("GOOGLE_STT_MODEL");
    expect(issuesOf({ GOOGLE_API_KEY: API_KEY, GOOGLE_TTS_VOICE: "f3" })[0]?.path).toBe("GOOGLE_TTS_VOICE");
    expect(issuesOf({ GOOGLE_API_KEY: API_KEY, GOOGLE_TIMEOUT_MS: "soon" })[0]?.path).toBe("GOOGLE_TIMEOUT_MS");
  });

  it("explains what is wrong with a key file without quoting it", () => {
    const cases: [string, RegExp][] = [
      ['{"private_key": "-----BEGIN PRIVATE KEY-----secret', /not valid JSON/],
      [keyFile({ type: "authorized_user" }), /'type' must be "service_account"/],
      [keyFile({ client_email: "nobody" }), /client_email/],
      [keyFile({ private_key: "-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----" }), /PKCS#8/],
      [keyFile({ token_uri: "http://evil.example/token" }), /token_uri/],
    ];
    for (const [json, message] of cases) {
      const issues = issuesOf({ GOOGLE_SERVICE_ACCOUNT_JSON: json });
      expect(issues[0]?.path).toBe("GOOGLE_SERVICE_ACCOUNT_JSON");
      expect(issues[0]?.message).toMatch(message);
      expect(JSON.stringify(issues)).not.toMatch(/secret|abc|evil|nobody/);
    }
  });

  it("readSettings turns bad settings into a 503 provider_misconfigured naming the variable, never the secret", () => {
    const missing = misconfigured({});
    expect(missing.status).toBe(503);
    expect(missing.code).toBe("provider_misconfigured");
    expect(missing.detail).toMatch(/GOOGLE_API_KEY/);

    const badKey = "bad key with spaces 0123456789";
    const err = misconfigured({ GOOGLE_API_KEY: badKey });
    expect(err.detail).toMatch(/GOOGLE_API_KEY/);
    expect(err.detail).not.toContain(badKey);

    const leakyJson = '{"private_key":"-----BEGIN PRIVATE KEY-----TOPSECRET';
    const jsonErr = misconfigured({ GOOGLE_SERVICE_ACCOUNT_JSON: leakyJson });
    expect(jsonErr.detail).toMatch(/GOOGLE_SERVICE_ACCOUNT_JSON/);
    expect(jsonErr.detail).not.toContain("TOPSECRET");
    expect(jsonErr.message).not.toContain("TOPSECRET");
  });

  it("builds both engines named google with the configured location as region", () => {
    const settings = readSettings(googleModule, { GOOGLE_API_KEY: API_KEY, GOOGLE_LOCATION: "us" } as unknown as Env);
    const stt = googleModule.stt?.(settings, {} as Env);
    const tts = googleModule.tts?.(settings, {} as Env);
    expect(stt).toBeInstanceOf(GoogleSpeechToText);
    expect(tts).toBeInstanceOf(GoogleTextToSpeech);
    expect([stt?.name, stt?.region, tts?.name, tts?.region]).toEqual(["google", "us", "google", "us"]);
    expect(googleModule.name).toBe("google");
    expect(googleModule.needs).toMatch(/GOOGLE_API_KEY or GOOGLE_SERVICE_ACCOUNT_JSON/);
  });
});
