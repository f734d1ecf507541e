import { describe, expect, it, vi } from "vitest";
import { FlowIntentEngine } from "../../src/nlp/flow-engine";
import balanceOgg from "../fixtures/audio/balance-16k.ogg";
import balanceWav from "../fixtures/audio/balance-16k.wav";
import dtmfWav from "../fixtures/audio/dtmf-1234H-8k.wav";
import silenceWav from "../fixtures/audio/silence-2s-16k.wav";
import { api, expectProblem, startCall, tenant } from "../helpers/api";

interface Turn {
  turnId: string;
  transcript: { text: string; source: string; confidence: number };
  intent: { name: string; confidence: number; slots: Record<string, string> };
  reply: { text: string; audio?: { format: string; sampleRate: number; base64: string } };
  latencyMs: { stt: number; nlp: number; tts: number; total: number };
  degraded?: string[];
  callStatus: string;
}

async function turn(key: string, callId: string, init: RequestInit & { json?: unknown }, query = ""): Promise<Turn> {
  const res = await api(`/api/v1/calls/${callId}/turns${query}`, { method: "POST", key, ...init });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Turn;
}

describe("turns", () => {
  it("answers a text turn with intent, reply text and spoken audio", async () => {
    const { key } = await tenant();
    const callId = await startCall(key);
    const t = await turn(key, callId, { json: { text: "I would like to check my account balance please" } });
    expect(t.turnId).toBe("turn-1");
    expect(t.transcript).toMatchObject({ source: "text", confidence: 1 });
    expect(t.intent.name).toBe("check_balance");
    expect(t.reply.text.length).toBeGreaterThan(5);
    expect(t.reply.audio?.format).toBe("wav");
    expect(t.reply.audio?.sampleRate).toBe(16000);
    expect(t.latencyMs.stt).toBe(0);
    for (const v of Object.values(t.latencyMs)) expect(v).toBeGreaterThanOrEqual(0);
    expect(t.callStatus).toBe("active");
  });

  it("names the provider and region of each stage in X-Voice-Provider / X-Voice-Region", async () => {
    const { key } = await tenant();
    const callId = await startCall(key);
    const spoken = await api(`/api/v1/calls/${callId}/turns`, {
      method: "POST",
      key,
      json: { text: "what is my balance" },
    });
    expect(spoken.headers.get("X-Voice-Provider")).toBe("tts=local");
    expect(spoken.headers.get("X-Voice-Region")).toBe("tts=edge");
    const textOnly = await api(`/api/v1/calls/${callId}/turns?reply=text`, {
      method: "POST",
      key,
      json: { text: "what is my balance" },
    });
    expect(textOnly.headers.get("X-Voice-Provider")).toBeNull();
  });

  it("maps keypad turns through the flow", async () => {
    const { key } = await tenant();
    const callId = await startCall(key);
    const t = await turn(key, callId, { json: { dtmf: "0" } }, "?reply=text");
    expect(t.transcript).toMatchObject({ text: "0", source: "dtmf" });
    expect(t.intent.name).toBe("human_agent");
    expect(t.reply.audio).toBeUndefined();
  });

  it("hears keypad tones in audio with the embedded DTMF detector", async () => {
    const { key } = await tenant();
    const callId = await startCall(key);
    const t = await turn(key, callId, { body: dtmfWav, headers: { "Content-Type": "audio/wav" } }, "?reply=text");
    expect(t.transcript).toMatchObject({ text: "1234#", source: "dtmf" });
  });

  it("accepts audio as multipart/form-data field 'audio'", async () => {
    const { key } = await tenant();
    const callId = await startCall(key);
    const form = new FormData();
    form.set("audio", new File([dtmfWav], "keys.wav", { type: "audio/wav" }));
    const t = await turn(key, callId, { body: form }, "?reply=text");
    expect(t.transcript.text).toBe("1234#");
  });

  it("answers silence with the no-input path, not an error", async () => {
    const { key } = await tenant();
    const callId = await startCall(key);
    const t = await turn(key, callId, { body: silenceWav, headers: { "Content-Type": "audio/wav" } }, "?reply=text");
    expect(t.transcript).toMatchObject({ text: "", source: "speech" });
    expect(t.intent.name).toBe("fallback");
  });

  it("refuses speech with 503 naming the settings to add when no STT provider is configured", async () => {
    const { key } = await tenant();
    const callId = await startCall(key);
    const res = await api(`/api/v1/calls/${callId}/turns`, {
      method: "POST",
      key,
      body: balanceWav,
      headers: { "Content-Type": "audio/wav" },
    });
    const p = await expectProblem(res, 503, "provider_unavailable");
    expect(p.detail).toContain("STT_PROVIDERS");
    const view = (await (await api(`/api/v1/calls/${callId}`, { key })).json()) as { history: unknown[] };
    expect(view.history).toHaveLength(1); // nothing stored
  });

  it("refuses compressed audio the local engine cannot decode with 415", async () => {
    const { key } = await tenant();
    const callId = await startCall(key);
    const res = await api(`/api/v1/calls/${callId}/turns`, {
      method: "POST",
      key,
      body: balanceOgg,
      headers: { "Content-Type": "audio/ogg" },
    });
    await expectProblem(res, 415, "unsupported_media_type");
  });

  it("encodes replies in the requested format", async () => {
    const { key } = await tenant();
    const callId = await startCall(key);
    const t = await turn(key, callId, { json: { text: "billing question" } }, "?format=mulaw");
    expect(t.reply.audio).toMatchObject({ format: "mulaw", sampleRate: 8000 });
    const pcm = await turn(key, callId, { json: { text: "billing question" } }, "?format=pcm&sampleRate=24000");
    expect(pcm.reply.audio).toMatchObject({ format: "pcm", sampleRate: 24000 });
    const res = await api(`/api/v1/calls/${callId}/turns?format=mp3`, { method: "POST", key, json: { text: "hi" } });
    await expectProblem(res, 415, "unsupported_media_type");
  });

  it("ends the call when the flow says goodbye", async () => {
    const { key } = await tenant();
    const callId = await startCall(key);
    const t = await turn(key, callId, { json: { text: "that's all, goodbye" } }, "?reply=text");
    expect(t.intent.name).toBe("goodbye");
    expect(t.callStatus).toBe("ended");
    await expectProblem(
      await api(`/api/v1/calls/${callId}/turns`, { method: "POST", key, json: { text: "hello" } }),
      409,
      "call_ended",
    );
  });
});

describe("idempotency and ordering", () => {
  it("returns the first answer for a retried Idempotency-Key and adds no second turn", async () => {
    const { key } = await tenant();
    const callId = await startCall(key);
    const send = () =>
      api(`/api/v1/calls/${callId}/turns?reply=text`, {
        method: "POST",
        key,
        json: { text: "billing" },
        headers: { "Idempotency-Key": "retry-1" },
      });
    const first = await (await send()).json();
    const second = await (await send()).json();
    expect(second).toEqual(first);
    const view = (await (await api(`/api/v1/calls/${callId}`, { key })).json()) as { history: unknown[] };
    expect(view.history).toHaveLength(3);
  });

  it("refuses a reused Idempotency-Key with a different body", async () => {
    const { key } = await tenant();
    const callId = await startCall(key);
    const headers = { "Idempotency-Key": "k-2" };
    await api(`/api/v1/calls/${callId}/turns?reply=text`, { method: "POST", key, json: { text: "billing" }, headers });
    const res = await api(`/api/v1/calls/${callId}/turns?reply=text`, {
      method: "POST",
      key,
      json: { text: "support" },
      headers,
    });
    await expectProblem(res, 422, "idempotency_key_reused");
  });

  it("keeps all of 20 concurrent turns, in order, none duplicated", async () => {
    const { key } = await tenant();
    const callId = await startCall(key);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        api(`/api/v1/calls/${callId}/turns?reply=text`, {
          method: "POST",
          key,
          json: { text: `message number ${i}` },
        }).then((r) => r.json() as Promise<Turn>),
      ),
    );
    const turnIds = results.map((r) => r.turnId).sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
    expect(turnIds).toEqual(Array.from({ length: 20 }, (_, i) => `turn-${i + 1}`));
    const view = (await (await api(`/api/v1/calls/${callId}`, { key })).json()) as {
      turnCount: number;
      history: { turnId: string; role: string; text: string }[];
    };
    expect(view.turnCount).toBe(20);
    const users = view.history.filter((h) => h.role === "user");
    expect(users).toHaveLength(20);
    expect(new Set(users.map((u) => u.text)).size).toBe(20);
    // each user entry is followed by its own assistant reply: turns never interleave
    for (let i = 1; i < view.history.length; i += 2) {
      expect(view.history[i]?.role).toBe("user");
      expect(view.history[i + 1]?.turnId).toBe(view.history[i]?.turnId);
    }
  });
});

describe("graceful degradation", () => {
  it("answers with the fallback reply and degraded: nlp_fallback when the intent engine fails", async () => {
    const { key } = await tenant();
    const callId = await startCall(key);
    const spy = vi.spyOn(FlowIntentEngine.prototype, "classify").mockRejectedValueOnce(new Error("template exploded"));
    try {
      const t = await turn(key, callId, { json: { text: "billing" } }, "?reply=text");
      expect(t.intent.name).toBe("fallback");
      expect(t.reply.text).toMatch(/trouble/);
      expect(t.degraded).toEqual(["nlp_fallback"]);
      const next = await turn(key, callId, { json: { text: "billing" } }, "?reply=text");
      expect(next.intent.name).toBe("billing");
      expect(next.degraded).toBeUndefined();
    } finally {
      spy.mockRestore();
    }
  });
});
