import { describe, expect, it } from "vitest";
import { ApiError } from "../../lib/errors";
import { readSettings } from "../settings";
import { pollyModule } from "./index";
import { pollySettingsSchema } from "./settings";
import { BASE_ENV, SECRET_ACCESS_KEY } from "./test-support";

const asEnv = (vars: Record<string, string>) => vars as unknown as Env;

function issuesFor(vars: Record<string, unknown>): string[] {
  const parsed = pollySettingsSchema.safeParse(vars);
  expect(parsed.success).toBe(false);
  return parsed.error!.issues.map((i) => i.path.join("."));
}

describe("polly settings", () => {
  it("takes the two AWS keys and defaults the rest", () => {
    const parsed = pollySettingsSchema.parse(BASE_ENV);
    expect(parsed).toEqual({
      ...BASE_ENV,
      POLLY_REGION: "us-east-1",
      POLLY_VOICE: "Joanna",
      POLLY_ENGINE: "neural",
      POLLY_TIMEOUT_MS: 10000,
    });
    expect(parsed.AWS_SESSION_TOKEN).toBeUndefined();
    expect(parsed.POLLY_ENDPOINT).toBeUndefined();
  });

  it("reads every optional setting, and treats blank values as unset", () => {
    const parsed = pollySettingsSchema.parse({
      ...BASE_ENV,
      AWS_SESSION_TOKEN: "IQoJb3JpZ2luX2VjEXAMPLETOKEN",
      POLLY_REGION: "eu-central-1",
      POLLY_VOICE: "Matthew",
      POLLY_ENGINE: "long-form",
      POLLY_ENDPOINT: "https://polly-fips.us-east-1.amazonaws.com",
      POLLY_TIMEOUT_MS: "2500",
    });
    expect(parsed).toMatchObject({
      POLLY_REGION: "eu-central-1",
      POLLY_VOICE: "Matthew",
      POLLY_ENGINE: "long-form",
      POLLY_TIMEOUT_MS: 2500,
    });
    expect(
      pollySettingsSchema.parse({ ...BASE_ENV, AWS_SESSION_TOKEN: "", POLLY_REGION: " ", POLLY_ENDPOINT: "" }),
    ).toMatchObject({
      AWS_SESSION_TOKEN: undefined,
      POLLY_REGION: "us-east-1",
      POLLY_ENDPOINT: undefined,
    });
  });

  it.each([
    [{ AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY }, "AWS_ACCESS_KEY_ID"],
    [{ AWS_ACCESS_KEY_ID: BASE_ENV.AWS_ACCESS_KEY_ID }, "AWS_SECRET_ACCESS_KEY"],
    [{ ...BASE_ENV, AWS_ACCESS_KEY_ID: "not-a-key" }, "AWS_ACCESS_KEY_ID"],
    [{ ...BASE_ENV, AWS_SECRET_ACCESS_KEY: "short" }, "AWS_SECRET_ACCESS_KEY"],
    [{ ...BASE_ENV, POLLY_REGION: "Frankfurt" }, "POLLY_REGION"],
    [{ ...BASE_ENV, POLLY_REGION: "eu-central" }, "POLLY_REGION"],
    [{ ...BASE_ENV, POLLY_ENGINE: "turbo" }, "POLLY_ENGINE"],
    [{ ...BASE_ENV, POLLY_VOICE: "joanna smith" }, "POLLY_VOICE"],
    [{ ...BASE_ENV, POLLY_ENDPOINT: "http://polly.us-east-1.amazonaws.com" }, "POLLY_ENDPOINT"],
    [{ ...BASE_ENV, POLLY_ENDPOINT: "https://user:pw@polly.example.com" }, "POLLY_ENDPOINT"],
    [{ ...BASE_ENV, POLLY_ENDPOINT: "polly.us-east-1.amazonaws.com" }, "POLLY_ENDPOINT"],
    [{ ...BASE_ENV, POLLY_TIMEOUT_MS: "soon" }, "POLLY_TIMEOUT_MS"],
  ])("refuses %o naming %s", (vars, name) => {
    expect(issuesFor(vars)).toContain(name);
  });

  it("readSettings: a missing key is a 503 provider_misconfigured naming it", () => {
    const err = (() => {
      try {
        readSettings(pollyModule, asEnv({ AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY }));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 503, code: "provider_misconfigured" });
    const detail = (err as ApiError).detail;
    expect(detail).toContain("AWS_ACCESS_KEY_ID");
    expect(detail).toContain("'polly'");
    expect(detail).not.toContain(SECRET_ACCESS_KEY);
  });

  it("readSettings: a malformed secret is named but its value never shown", () => {
    const badSecret = "has spaces in the secret value";
    const err = (() => {
      try {
        readSettings(pollyModule, asEnv({ ...BASE_ENV, AWS_SECRET_ACCESS_KEY: badSecret, POLLY_REGION: "Frankfurt" }));
      } catch (e) {
        return e;
      }
    })() as ApiError;
    expect(err).toMatchObject({ status: 503, code: "provider_misconfigured" });
    expect(err.detail).toContain("AWS_SECRET_ACCESS_KEY");
    expect(err.detail).toContain("POLLY_REGION");
    expect(err.detail).not.toContain(badSecret);
    expect(err.detail).not.toContain("Frankfurt");
    expect(err.message).not.toContain(badSecret);
  });

  it("the module builds a polly TTS engine for its region", () => {
    const tts = pollyModule.tts!(
      readSettings(pollyModule, asEnv({ ...BASE_ENV, POLLY_REGION: "ap-northeast-1" })),
      asEnv({}),
    );
    expect(tts).toMatchObject({ name: "polly", region: "ap-northeast-1", encodings: ["pcm", "mp3", "ogg"] });
    expect(pollyModule.stt).toBeUndefined();
    expect(pollyModule.needs).toMatch(/^AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY; optional /);
  });
});
