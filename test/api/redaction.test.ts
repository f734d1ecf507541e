import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { resetHealthForTests } from "../../src/routing/health-registry";
import balanceWav from "../fixtures/audio/balance-16k.wav";
import { api, startCall, tenant } from "../helpers/api";
import { callObject, fetchWithSettings, setCallBindings } from "../helpers/objects";

afterEach(() => vi.restoreAllMocks());
beforeEach(() => resetHealthForTests());

const SPACED = "4111 1111 1111 1111";
const PLAIN = "4111111111111111";
const MASK = "[redacted card ending 1111]";
const SPOKEN = "my card number is four one one one one one one one one one one one one one one one";

function expectNoCard(text: string): void {
  expect(text).not.toContain(SPACED);
  expect(text).not.toContain(PLAIN);
}

/** Deepgram's answer for a transcript, words included (as the adapter asks for them). */
function deepgramSays(transcript: string) {
  const words = transcript
    .split(" ")
    .map((word, i) => ({ word, start: i * 0.3, end: i * 0.3 + 0.25, confidence: 0.95 }));
  return vi.spyOn(globalThis, "fetch").mockImplementation(async () =>
    Response.json({
      metadata: { request_id: "r1" },
      results: { channels: [{ alternatives: [{ transcript, confidence: 0.95, words }] }] },
    }),
  );
}

describe("a card number said in a turn", () => {
  it("is masked in the reply, the replay, every tier of history and the logs", async () => {
    const { tenantId, key } = await tenant();
    const callId = await startCall(key);
    const logs: string[] = [];
    const capture = (...args: unknown[]) => void logs.push(args.map(String).join(" "));
    vi.spyOn(console, "log").mockImplementation(capture);
    vi.spyOn(console, "warn").mockImplementation(capture);
    vi.spyOn(console, "error").mockImplementation(capture);

    const send = () =>
      api(`/api/v1/calls/${callId}/turns?reply=text`, {
        method: "POST",
        key,
        json: { text: `my card number is ${SPACED}` },
        headers: { "Idempotency-Key": "card-1" },
      });
    const first = await send();
    const firstText = await first.text();
    expect(first.status, firstText).toBe(200);
    expect((JSON.parse(firstText) as { transcript: { text: string } }).transcript.text).toBe(
      `my card number is ${MASK}`,
    );
    expectNoCard(firstText);

    const replay = await send();
    const replayText = await replay.text();
    expect(replayText).toBe(firstText);

    const hot = await api(`/api/v1/calls/${callId}`, { key });
    const hotText = await hot.text();
    expect(JSON.parse(hotText)).toMatchObject({ tier: "hot", turnCount: 1 });
    expect(hotText).toContain(MASK);
    expectNoCard(hotText);

    const ended = await api(`/api/v1/calls/${callId}/end`, { method: "POST", key });
    expect(await ended.json()).toMatchObject({ archive: "done" });

    const warm = await env.DB.prepare("SELECT history_json FROM calls WHERE tenant_id = ? AND call_id = ?")
      .bind(tenantId, callId)
      .first<{ history_json: string }>();
    const entries = JSON.parse(warm?.history_json ?? "[]") as { text: string }[];
    expect(entries.length).toBeGreaterThanOrEqual(2);
    expect(entries.map((r) => r.text)).toContain(`my card number is ${MASK}`);
    expectNoCard(warm?.history_json ?? "");
    const call = await env.DB.prepare("SELECT context_json FROM calls WHERE tenant_id = ? AND call_id = ?")
      .bind(tenantId, callId)
      .first<{ context_json: string }>();
    expectNoCard(call?.context_json ?? "");

    // The cold copy, read back through the API (R2 objects may be encrypted at rest) and raw.
    const objects = await env.ARCHIVE.list({ prefix: `tenants/${tenantId}/` });
    for (const o of objects.objects) expectNoCard(await (await env.ARCHIVE.get(o.key))!.text());
    await env.DB.prepare("DELETE FROM calls WHERE tenant_id = ? AND call_id = ?").bind(tenantId, callId).run();
    const cold = await api(`/api/v1/calls/${callId}`, { key });
    const coldText = await cold.text();
    expect(JSON.parse(coldText)).toMatchObject({ tier: "cold" });
    expect(coldText).toContain(MASK);
    expectNoCard(coldText);

    expect(logs.length).toBeGreaterThan(0);
    for (const line of logs) expectNoCard(line);
    const turnLine = logs.find((l) => l.includes('"event":"turn"'));
    expect(turnLine, "the turn log line").toBeDefined();
    expect(JSON.parse(turnLine!)).toMatchObject({ redacted: { card: 1 } });
  });

  it("is masked when spoken, and the caller's audio of that turn is not kept", async () => {
    const { tenantId, key } = await tenant();
    const callId = await startCall(key);
    await setCallBindings(tenantId, callId, { STT_PROVIDERS: "deepgram", DEEPGRAM_API_KEY: "dg-key" });
    deepgramSays(SPOKEN);
    const res = await api(`/api/v1/calls/${callId}/turns?reply=text`, {
      method: "POST",
      key,
      body: balanceWav,
      headers: { "Content-Type": "audio/wav" },
    });
    const text = await res.text();
    expect(res.status, text).toBe(200);
    expect(JSON.parse(text)).toMatchObject({ transcript: { text: `my card number is ${MASK}`, source: "speech" } });
    expect(text).not.toContain("one one one one");
    const audio = await callObject(tenantId, callId).audio("turn-1");
    expect(audio.filter((a) => a.kind === "caller")).toEqual([]);
  });

  it("masks a security code and the slot taken from it, and configured patterns", async () => {
    const { tenantId, key } = await tenant();
    const callId = await startCall(key);
    await setCallBindings(tenantId, callId, {
      REDACT_PATTERNS: JSON.stringify([{ name: "email", pattern: "[a-z0-9._%+-]+@[a-z0-9.-]+\\.[a-z]{2,}" }]),
    });
    const code = await api(`/api/v1/calls/${callId}/turns?reply=text`, {
      method: "POST",
      key,
      json: { text: "what is my balance, my security code is 1234" },
    });
    const body = (await code.json()) as {
      transcript: { text: string };
      intent: { name: string; slots: Record<string, string> };
    };
    expect(body.transcript.text).toBe("what is my balance, my security code is [redacted code]");
    expect(body.intent.name).toBe("check_balance");
    expect(body.intent.slots.accountNumber).toBe("[redacted code]");

    const mail = await api(`/api/v1/calls/${callId}/turns?reply=text`, {
      method: "POST",
      key,
      json: { text: "my email is jane@example.com" },
    });
    expect(((await mail.json()) as { transcript: { text: string } }).transcript.text).toBe(
      "my email is [redacted email]",
    );

    const view = await (await api(`/api/v1/calls/${callId}`, { key })).text();
    expect(view).not.toContain("1234");
    expect(view).not.toContain("jane@example.com");
  });

  it("keeps withholding the whole input of a secure card step", async () => {
    const { key } = await tenant();
    const callId = await startCall(key, { flow: "payments" });
    // In the payments flow every card step is secure: the whole input is withheld, as before.
    await api(`/api/v1/calls/${callId}/turns?reply=text`, { method: "POST", key, json: { text: "pay my bill" } });
    const res = await api(`/api/v1/calls/${callId}/turns?reply=text`, { method: "POST", key, json: { text: SPACED } });
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({
      transcript: { text: "[redacted keypad input]" },
      intent: { slots: { cardNumber: "************1111" } },
    });
    expectNoCard(text);
  });
});

describe("idempotency records of a turn with a card number", () => {
  it("keep only a per-call keyed hash of the request, never a plain one", async () => {
    const { tenantId, key } = await tenant();
    const body = { text: "my card number is 4111 1111 1111 1111" };
    const fingerprints: string[] = [];
    for (let i = 0; i < 2; i++) {
      const callId = await startCall(key);
      const res = await api(`/api/v1/calls/${callId}/turns?reply=text`, {
        method: "POST",
        key,
        json: body,
        headers: { "Idempotency-Key": "same-key" },
      });
      expect(res.status).toBe(200);
      await runInDurableObject(callObject(tenantId, callId), (_instance, state) => {
        const rows = state.storage.sql
          .exec<{ fingerprint: string; json: string }>("SELECT fingerprint, json FROM idempotency")
          .toArray();
        expect(rows).toHaveLength(1);
        expect(rows[0]!.json).not.toContain("4111");
        fingerprints.push(rows[0]!.fingerprint);
      });
    }
    // The same request in two calls: a plain hash would be equal; a keyed one differs per call.
    expect(fingerprints[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(fingerprints[0]).not.toBe(fingerprints[1]);
  });
});

describe("POST /api/v1/voice/transcribe", () => {
  it("masks a spoken card number in the text and in the words", async () => {
    const { key } = await tenant();
    deepgramSays(`${SPOKEN} thanks`);
    const req = new Request("http://voice-edge.test/api/v1/voice/transcribe", {
      method: "POST",
      headers: { Authorization: `Bearer ${key}`, "Content-Type": "audio/wav" },
      body: balanceWav,
    });
    const res = await fetchWithSettings({ STT_PROVIDERS: "deepgram", DEEPGRAM_API_KEY: "dg-key" }, req);
    const text = await res.text();
    expect(res.status, text).toBe(200);
    const body = JSON.parse(text) as {
      text: string;
      provider: string;
      words?: { word: string; startMs: number; endMs: number }[];
    };
    expect(body).toMatchObject({ text: `my card number is ${MASK} thanks`, provider: "deepgram" });
    expect(body.words?.map((w) => w.word)).toEqual(["my", "card", "number", "is", MASK, "thanks"]);
    expect(text).not.toContain("one one one one");
    expect(text).not.toMatch(/"word":"one"/);
  });

  it("leaves a phone number alone", async () => {
    const { key } = await tenant();
    deepgramSays("call me on four one five five five five oh one oh oh");
    const req = new Request("http://voice-edge.test/api/v1/voice/transcribe", {
      method: "POST",
      headers: { Authorization: `Bearer ${key}`, "Content-Type": "audio/wav" },
      body: balanceWav,
    });
    const res = await fetchWithSettings({ STT_PROVIDERS: "deepgram", DEEPGRAM_API_KEY: "dg-key" }, req);
    const body = (await res.json()) as { text: string; words?: unknown[] };
    expect(body.text).toBe("call me on four one five five five five oh one oh oh");
    expect(body.words).toHaveLength(13);
  });
});
