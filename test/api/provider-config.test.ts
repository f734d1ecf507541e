import { describe, expect, it, vi } from "vitest";
import balanceWav from "../fixtures/audio/balance-16k.wav";
import { tenant } from "../helpers/api";
import { fetchWithSettings } from "../helpers/objects";

const fetchWith = (vars: Record<string, string>, path: string, init: RequestInit) =>
  fetchWithSettings(vars, new Request(`http://voice-edge.test${path}`, init));

describe("provider configuration", () => {
  it("names an unknown provider in STT_PROVIDERS with a 503 problem, not a crash", async () => {
    const { key } = await tenant();
    const res = await fetchWith({ STT_PROVIDERS: "nosuch" }, "/api/v1/voice/transcribe", {
      method: "POST",
      headers: { Authorization: `Bearer ${key}`, "Content-Type": "audio/wav" },
      body: balanceWav,
    });
    expect(res.status).toBe(503);
    expect(res.headers.get("Content-Type")).toBe("application/problem+json");
    const body = (await res.json()) as { code: string; detail: string };
    expect(body.code).toBe("provider_misconfigured");
    expect(body.detail).toContain("STT_PROVIDERS");
    expect(body.detail).toContain("nosuch");
  });

  it("reports a malformed numeric setting by name", async () => {
    const res = await fetchWith({ CALL_IDLE_TIMEOUT_SECONDS: "soon" }, "/healthz", {});
    expect(res.status).toBe(500);
    const body = (await res.json()) as { code: string; detail: string };
    expect(body.code).toBe("configuration_error");
    expect(body.detail).toContain("CALL_IDLE_TIMEOUT_SECONDS");
  });
});

describe("readiness and formats follow the provider settings", () => {
  it("reports an incomplete provider as a failed readiness check naming the setting", async () => {
    const res = await fetchWith(
      { STT_PROVIDERS: "google", GOOGLE_API_KEY: "", GOOGLE_SERVICE_ACCOUNT_JSON: "" },
      "/readyz",
      {},
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; checks: Record<string, { ok: boolean; detail?: string }> };
    expect(body.status).toBe("degraded");
    expect(body.checks.stt?.ok).toBe(false);
    expect(body.checks.stt?.detail).toMatch(/GOOGLE_API_KEY|GOOGLE_SERVICE_ACCOUNT_JSON/);
    expect(body.checks.tts).toEqual({ ok: true, detail: "local" });
  });

  it("synthesizes mp3 through Polly when it is configured, falling back to nothing else for mp3", async () => {
    const { key } = await tenant();
    const vars = {
      TTS_PROVIDERS: "polly,local",
      AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
      AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    };
    const mp3 = new Uint8Array([0xff, 0xfb, 0x90, 0x64, ...new Array(400).fill(0)]);
    const spy = vi
      .spyOn(globalThis, "fetch")
      .mockImplementation(
        async () => new Response(mp3, { headers: { "Content-Type": "audio/mpeg", "x-amzn-RequestCharacters": "12" } }),
      );
    const res = await fetchWith(vars, "/api/v1/voice/synthesize", {
      method: "POST",
      headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
      body: JSON.stringify({ text: "Hello there.", format: "mp3" }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("audio/mpeg");
    expect(res.headers.get("X-Voice-Provider")).toBe("polly");
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(mp3);
    const sent = new Request(spy.mock.calls[0]![0] as RequestInfo, spy.mock.calls[0]![1]);
    expect(new URL(sent.url).host).toBe("polly.us-east-1.amazonaws.com");
    expect(sent.headers.get("authorization")).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\//);
    spy.mockRestore();
  });
});
