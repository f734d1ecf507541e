import { describe, expect, it } from "vitest";
import { ApiError } from "../../lib/errors";
import { readSettings } from "../settings";
import { azureModule } from "./index";
import { DEFAULT_AZURE_VOICE } from "./settings";

const SECRET = "very-secret-azure-key-value";
const env = (vars: Record<string, string>) => vars as unknown as Env;

function issuesFor(vars: Record<string, string>): string[] {
  const parsed = azureModule.settings.safeParse(vars);
  expect(parsed.success).toBe(false);
  return parsed.success ? [] : parsed.error.issues.map((i) => i.path.join("."));
}

describe("azure settings", () => {
  it("parses key and region, and defaults the voice and the timeout", () => {
    expect(
      readSettings(azureModule, env({ AZURE_SPEECH_KEY: ` ${SECRET}\n`, AZURE_SPEECH_REGION: "eastus2" })),
    ).toEqual({
      key: SECRET,
      region: "eastus2",
      voice: DEFAULT_AZURE_VOICE,
      timeoutMs: 10_000,
    });
  });

  it("takes an explicit voice (including HD voice names) and timeout", () => {
    const s = readSettings(
      azureModule,
      env({
        AZURE_SPEECH_KEY: SECRET,
        AZURE_SPEECH_REGION: "westeurope",
        AZURE_TTS_VOICE: "en-US-Ava:DragonHDLatestNeural",
        AZURE_TIMEOUT_MS: "2500",
      }),
    );
    expect(s.voice).toBe("en-US-Ava:DragonHDLatestNeural");
    expect(s.timeoutMs).toBe(2500);
  });

  it("refuses a missing key or region with an issue naming the variable", () => {
    expect(issuesFor({ AZURE_SPEECH_REGION: "eastus" })).toEqual(["AZURE_SPEECH_KEY"]);
    expect(issuesFor({ AZURE_SPEECH_KEY: SECRET })).toEqual(["AZURE_SPEECH_REGION"]);
    expect(issuesFor({ AZURE_SPEECH_KEY: "   ", AZURE_SPEECH_REGION: "eastus" })).toEqual(["AZURE_SPEECH_KEY"]);
  });

  it.each(["East US", "EASTUS", "eastus.evil.example", "east-us", "eastus/../x", ""])(
    "refuses the malformed region %j",
    (region) => {
      expect(issuesFor({ AZURE_SPEECH_KEY: SECRET, AZURE_SPEECH_REGION: region })).toEqual(["AZURE_SPEECH_REGION"]);
    },
  );

  it("refuses a malformed voice or timeout", () => {
    expect(issuesFor({ AZURE_SPEECH_KEY: SECRET, AZURE_SPEECH_REGION: "eastus", AZURE_TTS_VOICE: "Ava'/><x" })).toEqual(
      ["AZURE_TTS_VOICE"],
    );
    expect(issuesFor({ AZURE_SPEECH_KEY: SECRET, AZURE_SPEECH_REGION: "eastus", AZURE_TIMEOUT_MS: "soon" })).toEqual([
      "AZURE_TIMEOUT_MS",
    ]);
  });

  it("readSettings answers 503 provider_misconfigured naming the variable, never the secret", () => {
    let caught: unknown;
    try {
      readSettings(azureModule, env({ AZURE_SPEECH_KEY: `${SECRET} with spaces`, AZURE_SPEECH_REGION: "East US" }));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ApiError);
    const err = caught as ApiError;
    expect(err.status).toBe(503);
    expect(err.code).toBe("provider_misconfigured");
    expect(err.detail).toContain("AZURE_SPEECH_KEY");
    expect(err.detail).toContain("AZURE_SPEECH_REGION");
    expect(err.detail).not.toContain(SECRET);
    expect(err.message).not.toContain(SECRET);
  });

  it("declares both engines, reporting the configured region", () => {
    const s = readSettings(azureModule, env({ AZURE_SPEECH_KEY: SECRET, AZURE_SPEECH_REGION: "westeurope" }));
    const stt = azureModule.stt!(s, env({}));
    const tts = azureModule.tts!(s, env({}));
    expect([stt.name, stt.region, tts.name, tts.region]).toEqual(["azure", "westeurope", "azure", "westeurope"]);
    expect(stt.containers).toEqual(["ogg"]);
    expect(tts.encodings).toEqual(["pcm", "mp3", "ogg"]);
  });
});
