import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { concat, keyTone, silence, toInt16 } from "../../src/audio/test-signals";
import dtmfWav from "../fixtures/audio/dtmf-1234H-8k.wav";
import { api, startCall, tenant } from "../helpers/api";
import { ageCall, callObject, setCallBindings } from "../helpers/objects";
import { silenceSamples, started, wavSamples } from "./stream-client";

// Keypad and typed turns over the live stream: the keypad fixture and synthesised tones sent as
// 20 ms frames, text and dtmf messages, and the ways a call ends while a stream is open.

/** Keys as tones (70 ms each, 80 ms apart), at `rate`. */
function keys(digits: string, rate: number): Int16Array {
  return toInt16(concat(...[...digits].flatMap((d) => [keyTone(d, rate, 70), silence(rate, 80)])));
}

interface View {
  status: string;
  history: { turnId: string; role: string; text: string; source?: string }[];
}

async function view(key: string, callId: string): Promise<View> {
  const res = await api(`/api/v1/calls/${callId}`, { key });
  expect(res.status).toBe(200);
  return (await res.json()) as View;
}

describe("keypad tones in the caller's audio", { timeout: 30_000 }, () => {
  it("reports each key of the fixture as it is heard, then answers one keypad turn (pcm16, 8 kHz)", async () => {
    const { key } = await tenant();
    const callId = await startCall(key);
    const s = await started(callId, key, { format: "pcm16", sampleRate: 8000, reply: "text" });
    const { samples } = wavSamples(dtmfWav);
    s.sendAudio(samples, "pcm16", 8000);
    const metrics = await s.next("metrics");
    expect(s.summary()).toEqual([
      "ready",
      "dtmf",
      "dtmf",
      "dtmf",
      "dtmf",
      "dtmf",
      "transcript",
      "intent",
      "reply",
      "reply_done",
      "metrics",
    ]);
    expect(
      s
        .messages("dtmf")
        .map((m) => m.digit)
        .join(""),
    ).toBe("1234#");
    expect(s.messages("transcript")).toEqual([
      { type: "transcript", turnId: "turn-1", text: "1234#", final: true, source: "dtmf" },
    ]);
    // A keypad utterance is not speech: no speech_started, no speech turn after it.
    s.sendAudio(silenceSamples(8000, 1500), "pcm16", 8000);
    s.send({ type: "text", text: "billing" });
    await s.next("metrics");
    expect(s.messages("speech_started")).toEqual([]);
    expect(s.messages("transcript").map((m) => m.source)).toEqual(["dtmf", "text"]);
    expect(metrics).toMatchObject({ turnId: "turn-1", sttMs: 0, firstAudioMs: null });
    const v = await view(key, callId);
    expect(v.history.filter((h) => h.role === "user").map((h) => [h.turnId, h.text, h.source])).toEqual([
      ["turn-1", "1234#", "dtmf"],
      ["turn-2", "billing", "text"],
    ]);
  });

  it("takes long key presses, which the VAD hears as sound, as keys: no speech_started, no speech turn", async () => {
    const { key } = await tenant();
    const callId = await startCall(key);
    const s = await started(callId, key, { format: "pcm16", sampleRate: 8000, reply: "text" });
    // Keys held 300 ms, 100 ms apart: one long "utterance" to an energy detector.
    const held = toInt16(concat(...[..."12#"].flatMap((d) => [keyTone(d, 8000, 300), silence(8000, 100)])));
    s.sendAudio(held, "pcm16", 8000);
    s.sendAudio(silenceSamples(8000, 1500), "pcm16", 8000);
    s.send({ type: "text", text: "billing" });
    await s.until((m) => m.type === "metrics" && m.turnId === "turn-2", "turn-2's metrics");
    expect(s.summary()).toEqual([
      "ready",
      "dtmf",
      "dtmf",
      "dtmf",
      "transcript",
      "intent",
      "reply",
      "reply_done",
      "metrics",
      "transcript",
      "intent",
      "reply",
      "reply_done",
      "metrics",
    ]);
    expect(s.messages("transcript").map((m) => [m.text, m.source])).toEqual([
      ["12#", "dtmf"],
      ["billing", "text"],
    ]);
  });

  it("hears the fixture in mu-law and answers with mu-law reply audio in 20 ms frames", async () => {
    const { key } = await tenant();
    const callId = await startCall(key);
    const s = await started(callId, key, { format: "mulaw", sampleRate: 8000 });
    s.sendAudio(wavSamples(dtmfWav).samples, "mulaw", 8000);
    await s.next("metrics");
    expect(s.summary()).toEqual([
      "ready",
      "dtmf",
      "dtmf",
      "dtmf",
      "dtmf",
      "dtmf",
      "transcript",
      "intent",
      "reply",
      "audio",
      "reply_done",
      "metrics",
    ]);
    const frames = s.messages("audio").map((m) => m.bytes.byteLength);
    // 20 ms of 8 kHz mu-law is 160 bytes; only a sentence's last frame may be shorter.
    expect(frames.filter((n) => n === 160).length).toBeGreaterThan(frames.length * 0.9);
    expect(frames.every((n) => n > 0 && n <= 160)).toBe(true);
    const seconds = frames.reduce((a, b) => a + b, 0) / 8000;
    expect(seconds).toBeGreaterThan(2); // the fallback reply and the menu prompt
    expect(s.messages("metrics")[0]!.firstAudioMs).toBeGreaterThanOrEqual(0);
  });

  it("ends a key entry after 2.5 s of audio without a new key", async () => {
    const { key } = await tenant();
    const callId = await startCall(key);
    const s = await started(callId, key, { format: "pcm16", sampleRate: 16000, reply: "text" });
    s.sendAudio(keys("12", 16000), "pcm16", 16000);
    s.sendAudio(silenceSamples(16000, 1800), "pcm16", 16000);
    await s.next("dtmf");
    await s.next("dtmf");
    // Not yet: 2.5 s have not passed since the last key went down. A typed turn shows the order.
    s.send({ type: "text", text: "hello" });
    expect((await s.next("transcript")).text).toBe("hello");
    s.sendAudio(silenceSamples(16000, 800), "pcm16", 16000);
    const t = await s.next("transcript");
    expect(t).toMatchObject({ turnId: "turn-2", text: "12", source: "dtmf" });
  });

  it("neither echoes nor stores the keys of a secure flow step", async () => {
    const { key } = await tenant();
    const callId = await startCall(key, { flow: "payments" });
    const s = await started(callId, key, { format: "pcm16", sampleRate: 8000, reply: "text" });
    s.send({ type: "dtmf", digits: "1" }); // make_payment → the secure card_number step
    expect((await s.next("intent")).name).toBe("make_payment");
    await s.next("metrics");
    const before = s.log.length;
    s.sendAudio(keys("4111111111111111#", 8000), "pcm16", 8000);
    const t = await s.next("transcript");
    expect(t).toMatchObject({ turnId: "turn-2", text: "[redacted keypad input]", source: "dtmf" });
    const intent = await s.next("intent");
    expect(intent.name).toBe("collect");
    expect(s.summary(before)).toEqual(["transcript", "intent"]);
    await s.next("metrics");
    const raw = JSON.stringify(await view(key, callId));
    expect(raw).not.toContain("4111111111111111");
    expect(raw).toContain("[redacted keypad input]");
  });
});

describe("typed and keyed turns", { timeout: 30_000 }, () => {
  it(
    "answers text and dtmf messages in order with the same " + "event sequence, and shares one history with HTTP turns",
    async () => {
      const { key } = await tenant();
      const callId = await startCall(key);
      const s = await started(callId, key, { reply: "text" });
      s.send({ type: "text", text: "I have a question about my bill" });
      s.send({ type: "dtmf", digits: "1" });
      await s.next("metrics");
      await s.next("metrics");
      expect(s.summary()).toEqual([
        "ready",
        "transcript",
        "intent",
        "reply",
        "reply_done",
        "metrics",
        "transcript",
        "intent",
        "reply",
        "reply_done",
        "metrics",
      ]);
      expect(s.messages("intent").map((m) => [m.turnId, m.name])).toEqual([
        ["turn-1", "billing"],
        ["turn-2", "check_balance"],
      ]);
      for (const m of s.messages("metrics"))
        expect(m).toMatchObject({ sttMs: 0, ttsMs: expect.any(Number), nlpMs: expect.any(Number), firstAudioMs: null });

      // An HTTP turn while the stream is open lands in the same history, between the streamed ones.
      const http = await api(`/api/v1/calls/${callId}/turns?reply=text`, {
        method: "POST",
        key,
        json: { text: "technical support" },
      });
      expect(http.status).toBe(200);
      expect(((await http.json()) as { turnId: string }).turnId).toBe("turn-3");
      s.send({ type: "text", text: "hello" });
      expect((await s.next("transcript")).turnId).toBe("turn-4");
      await s.next("metrics");
      const v = await view(key, callId);
      expect(v.history.map((h) => `${h.turnId}:${h.role}`)).toEqual([
        "turn-0:assistant",
        "turn-1:user",
        "turn-1:assistant",
        "turn-2:user",
        "turn-2:assistant",
        "turn-3:user",
        "turn-3:assistant",
        "turn-4:user",
        "turn-4:assistant",
      ]);
      expect(v.history.filter((h) => h.role === "user").map((h) => h.text)).toEqual([
        "I have a question about my bill",
        "1",
        "technical support",
        "hello",
      ]);
    },
  );

  // That the first sentence is sent before the next is synthesised is shown in speech.test.ts
  // (barge-in while the reply is still being sent), where the second sentence's synthesis is held.
  it("sends the reply's audio sentence by sentence, in 20 ms frames at the client's rate", async () => {
    const { key } = await tenant();
    const callId = await startCall(key);
    const s = await started(callId, key, { format: "pcm16", sampleRate: 24000 });
    s.send({ type: "text", text: "hello" });
    const reply = await s.next("reply");
    expect(reply.text).toBe(
      "Hello! How can I help you today? You can say check my balance, billing, technical support, or talk to an agent.",
    );
    const m = await s.next("metrics");
    expect(m.firstAudioMs).not.toBeNull();
    expect(m.firstAudioMs!).toBeLessThanOrEqual(m.nlpMs + m.ttsMs + 5);
    const frames = s.messages("audio").map((a) => a.bytes.byteLength);
    expect(frames.filter((n) => n === 960).length).toBeGreaterThan(frames.length * 0.9); // 20 ms at 24 kHz pcm16
    expect(frames.filter((n) => n !== 960).length).toBeLessThanOrEqual(2); // each sentence's last frame
  });
});

describe("the end of the call closes the stream", { timeout: 30_000 }, () => {
  it("stop ends the call: `ended` {reason: stop}, close 1000", async () => {
    const { key } = await tenant();
    const callId = await startCall(key);
    const s = await started(callId, key);
    s.send({ type: "stop" });
    expect(await s.next("ended")).toEqual({ type: "ended", reason: "stop" });
    expect(await s.closed).toEqual({ code: 1000, reason: "stop" });
    expect((await view(key, callId)).status).toBe("ended");
  });

  it(
    "tells the stream the call ended only once it has: a read right " +
      "after `ended` finds it ended, however slow the archive",
    async () => {
      const { key, tenantId } = await tenant();
      const callId = await startCall(key);
      const slowBucket = new Proxy(env.ARCHIVE, {
        get(target, prop) {
          const value = Reflect.get(target, prop) as unknown;
          if (prop === "put")
            return async (...args: unknown[]) => (
              await new Promise((r) => setTimeout(r, 300)),
              (value as (...a: unknown[]) => unknown).apply(target, args)
            );
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
      await setCallBindings(tenantId, callId, { ARCHIVE: slowBucket });
      const s = await started(callId, key);
      s.send({ type: "stop" });
      expect(await s.next("ended")).toEqual({ type: "ended", reason: "stop" });
      expect((await view(key, callId)).status).toBe("ended");
    },
  );

  it("POST /end closes the stream with `ended` {reason: ended_elsewhere}", async () => {
    const { key } = await tenant();
    const callId = await startCall(key);
    const s = await started(callId, key);
    expect((await api(`/api/v1/calls/${callId}/end`, { method: "POST", key })).status).toBe(200);
    expect(await s.next("ended")).toEqual({ type: "ended", reason: "ended_elsewhere" });
    expect((await s.closed).code).toBe(1000);
  });

  it("the flow hanging up sends the turn's events, then `ended` {reason: agent_hangup}", async () => {
    const { key } = await tenant();
    const callId = await startCall(key);
    const s = await started(callId, key, { reply: "text" });
    s.send({ type: "text", text: "goodbye" });
    await s.closed;
    expect(s.summary()).toEqual(["ready", "transcript", "intent", "reply", "reply_done", "metrics", "ended"]);
    expect(s.messages("ended")[0]!.reason).toBe("agent_hangup");
    expect(s.closeInfo?.code).toBe(1000);
  });

  it("the idle timeout closes the stream with `ended` {reason: idle_timeout}", async () => {
    const { tenantId, key } = await tenant();
    const callId = await startCall(key);
    const s = await started(callId, key);
    await ageCall(tenantId, callId, 3600);
    expect(await runDurableObjectAlarm(callObject(tenantId, callId))).toBe(true);
    expect(await s.next("ended")).toEqual({ type: "ended", reason: "idle_timeout" });
    expect((await s.closed).code).toBe(1000);
  });
});
