import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { resetHealthForTests } from "../../src/routing/health-registry";
import balanceWav from "../fixtures/audio/balance-16k.wav";
import dtmfWav from "../fixtures/audio/dtmf-1234H-8k.wav";
import { api, startCall, tenant } from "../helpers/api";
import { setCallBindings } from "../helpers/objects";

afterEach(() => vi.restoreAllMocks());
// Breakers are per isolate and the suite shares one: start every test with no learned health.
beforeEach(() => resetHealthForTests());

describe("an audio turn with a cloud STT provider configured", () => {
  it("is transcribed by the provider over its wire format and answered by the flow", async () => {
    const { tenantId, key } = await tenant();
    const callId = await startCall(key);
    await setCallBindings(tenantId, callId, { STT_PROVIDERS: "deepgram", DEEPGRAM_API_KEY: "dg-secret-key" });
    const seen: Request[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const req = new Request(input, init);
      seen.push(req.clone());
      return Response.json({
        metadata: { request_id: "r1" },
        results: {
          channels: [
            {
              alternatives: [
                { transcript: "i would like to check my account balance please", confidence: 0.97, words: [] },
              ],
            },
          ],
        },
      });
    });
    const res = await api(`/api/v1/calls/${callId}/turns?reply=text`, {
      method: "POST",
      key,
      body: balanceWav,
      headers: { "Content-Type": "audio/wav" },
    });
    const turn = (await res.json()) as {
      transcript: { text: string; source: string; provider: string };
      intent: { name: string };
    };
    expect(res.status, JSON.stringify(turn)).toBe(200);
    expect(turn.transcript).toMatchObject({ source: "speech", provider: "deepgram" });
    expect(turn.intent.name).toBe("check_balance");
    expect(seen).toHaveLength(1);
    const url = new URL(seen[0]!.url);
    expect(url.host).toBe("api.deepgram.com");
    expect(url.pathname).toBe("/v1/listen");
    expect(seen[0]!.headers.get("Authorization")).toBe("Token dg-secret-key");
  });

  it("still hears keypad tones locally without calling the provider", async () => {
    const { tenantId, key } = await tenant();
    const callId = await startCall(key);
    await setCallBindings(tenantId, callId, { STT_PROVIDERS: "deepgram", DEEPGRAM_API_KEY: "dg-secret-key" });
    const spy = vi.spyOn(globalThis, "fetch");
    const res = await api(`/api/v1/calls/${callId}/turns?reply=text`, {
      method: "POST",
      key,
      body: dtmfWav,
      headers: { "Content-Type": "audio/wav" },
    });
    expect(((await res.json()) as { transcript: { text: string } }).transcript.text).toBe("1234#");
    expect(spy).not.toHaveBeenCalled();
  });

  it("answers 503 without leaking the provider's error or key when the provider is down", async () => {
    const { tenantId, key } = await tenant();
    const callId = await startCall(key);
    await setCallBindings(tenantId, callId, { STT_PROVIDERS: "deepgram", DEEPGRAM_API_KEY: "dg-secret-key" });
    vi.spyOn(globalThis, "fetch").mockResolvedValue(
      Response.json(
        { err_code: "INSUFFICIENT_PERMISSIONS", err_msg: "key dg-secret-key lacks scope" },
        { status: 401 },
      ),
    );
    const res = await api(`/api/v1/calls/${callId}/turns`, {
      method: "POST",
      key,
      body: balanceWav,
      headers: { "Content-Type": "audio/wav" },
    });
    const text = await res.text();
    expect(res.status).toBe(503);
    expect(text).toContain("provider_unavailable");
    expect(text).not.toContain("dg-secret-key");
    expect(text).not.toContain("INSUFFICIENT_PERMISSIONS");
  });
});

describe("with broken provider settings, the local engine still serves", () => {
  it(
    "keeps text and keypad turns working when the STT settings are " +
      "incomplete, and names the missing setting for speech",
    async () => {
      const { tenantId, key } = await tenant();
      const callId = await startCall(key);
      // Blank, not absent: a developer's .dev.vars must not fill it in (blank counts as unset).
      await setCallBindings(tenantId, callId, { STT_PROVIDERS: "deepgram", DEEPGRAM_API_KEY: "" });
      const keys = await api(`/api/v1/calls/${callId}/turns?reply=text`, {
        method: "POST",
        key,
        body: dtmfWav,
        headers: { "Content-Type": "audio/wav" },
      });
      expect(keys.status).toBe(200);
      const text = await api(`/api/v1/calls/${callId}/turns?reply=text`, {
        method: "POST",
        key,
        json: { text: "billing" },
      });
      expect(text.status).toBe(200);
      const speech = await api(`/api/v1/calls/${callId}/turns`, {
        method: "POST",
        key,
        body: balanceWav,
        headers: { "Content-Type": "audio/wav" },
      });
      expect(speech.status).toBe(503);
      const problem = (await speech.json()) as { code: string; detail: string };
      expect(problem.code).toBe("provider_misconfigured");
      expect(problem.detail).toContain("DEEPGRAM_API_KEY");
    },
  );

  it("answers in text with degraded: tts_unavailable when the TTS settings are incomplete", async () => {
    const { tenantId, key } = await tenant();
    const callId = await startCall(key);
    await setCallBindings(tenantId, callId, {
      TTS_PROVIDERS: "polly",
      AWS_ACCESS_KEY_ID: "",
      AWS_SECRET_ACCESS_KEY: "",
    });
    const res = await api(`/api/v1/calls/${callId}/turns`, { method: "POST", key, json: { text: "billing" } });
    const turn = (await res.json()) as { reply: { text: string; audio?: unknown }; degraded?: string[] };
    expect(res.status).toBe(200);
    expect(turn.reply.text.length).toBeGreaterThan(5);
    expect(turn.reply.audio).toBeUndefined();
    expect(turn.degraded).toEqual(["tts_unavailable"]);
  });
});
