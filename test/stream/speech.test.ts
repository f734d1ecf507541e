import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { samplesToPcm16 } from "../../src/audio/pcm";
import { keyTone, toInt16 } from "../../src/audio/test-signals";
import { resetHealthForTests } from "../../src/routing/health-registry";
import agentWav from "../fixtures/audio/agent-16k.wav";
import { api, startCall, tenant } from "../helpers/api";
import { setCallBindings } from "../helpers/objects";
import {
  assistantEntry,
  callView,
  interruptedEntry,
  playbackEnds,
  setStreamClock,
  silenceSamples,
  speechLike,
  started,
  wavSamples,
  type TestStream,
} from "./stream-client";

// Caller speech over the live stream: endpointing (a turn ends after endSilenceMs of silence, and
// not before), the speech turn's events with a stubbed speech-to-text provider, and barge-in while
// reply audio is flowing or still playing. Speech-to-text answers come from a fetch stub that
// speaks Deepgram's wire format; reply audio from the embedded eSpeak engine, or from a stubbed
// OpenAI speech endpoint where a test must hold a sentence back.

afterEach(() => vi.restoreAllMocks());
beforeEach(() => resetHealthForTests());

const HELLO_REPLY = [
  "Hello! How can I help you today?",
  "You can say check my balance, billing, technical support, or talk to an agent.",
];

interface Stub {
  /** Bytes of each audio body sent to speech to text. */
  stt: number[];
  tts: { text: string; release: () => void }[];
}

/**
 * Deepgram (speech to text) answers `transcript`; OpenAI speech answers 1 s of tone at 24 kHz, and
 * holds its answer for the sentences `hold` names until the test releases them.
 */
function stubProviders(transcript: string, hold: (text: string) => boolean = () => false): Stub {
  const stub: Stub = { stt: [], tts: [] };
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const req = new Request(input, init);
    const url = new URL(req.url);
    if (url.host === "api.deepgram.com") {
      stub.stt.push((await req.arrayBuffer()).byteLength);
      return Response.json({
        metadata: { request_id: "r1" },
        results: { channels: [{ alternatives: [{ transcript, confidence: 0.95, words: [] }] }] },
      });
    }
    if (url.pathname === "/v1/audio/speech") {
      const { input: text } = (await req.json()) as { input: string };
      // Runs in the call object's context: it polls a flag the test sets (a promise resolved from
      // the test's context would be I/O across objects, which workerd refuses).
      const entry = { text, released: !hold(text), release: () => (entry.released = true) };
      stub.tts.push(entry);
      while (!entry.released) await new Promise((r) => setTimeout(r, 5));
      const tone = toInt16(keyTone("5", 24000, 1000, -20, -20)); // any audible second of audio
      return new Response(samplesToPcm16(tone, true), { headers: { "Content-Type": "audio/pcm" } });
    }
    throw new Error(`unexpected fetch ${req.url}`);
  });
  return stub;
}

const DEEPGRAM = { STT_PROVIDERS: "deepgram", DEEPGRAM_API_KEY: "dg-test-key" };
const OPENAI_TTS = { TTS_PROVIDERS: "openai", OPENAI_API_KEY: "sk-test-key" };

async function waitFor<T>(fn: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function sendSpeech(s: TestStream, ms = 1200): void {
  s.sendAudio(speechLike(16000, ms), "pcm16", 16000);
}

describe("endpointing", { timeout: 30_000 }, () => {
  it("ends the caller's turn after endSilenceMs (600 ms by default) of silence, not before", async () => {
    const { tenantId, key } = await tenant();
    const callId = await startCall(key);
    await setCallBindings(tenantId, callId, DEEPGRAM);
    const stub = stubProviders("I want to talk to an agent");
    const s = await started(callId, key, { reply: "text" });
    sendSpeech(s);
    expect((await s.next("speech_started")).atMs).toBe(0);
    s.sendAudio(silenceSamples(16000, 500), "pcm16", 16000);
    await new Promise((r) => setTimeout(r, 500));
    expect(s.summary()).toEqual(["ready", "speech_started"]);
    expect(stub.stt).toHaveLength(0);
    s.sendAudio(silenceSamples(16000, 200), "pcm16", 16000);
    const t = await s.next("transcript");
    expect(t).toEqual({
      type: "transcript",
      turnId: "turn-1",
      text: "I want to talk to an agent",
      final: true,
      source: "speech",
    });
    await s.next("metrics");
    expect(s.summary()).toEqual(["ready", "speech_started", "transcript", "intent", "reply", "reply_done", "metrics"]);
    expect(s.messages("intent")[0]!.name).toBe("human_agent");
    // The utterance went to STT once: its 1.2 s of speech and a short tail, not the silence.
    expect(stub.stt).toHaveLength(1);
    const seconds = (stub.stt[0]! - 44) / 32000;
    expect(seconds).toBeGreaterThanOrEqual(1.2);
    expect(seconds).toBeLessThan(1.45);
  });

  it("takes its settings from start: a shorter endSilenceMs ends the turn sooner", async () => {
    const { tenantId, key } = await tenant();
    const callId = await startCall(key);
    await setCallBindings(tenantId, callId, DEEPGRAM);
    stubProviders("billing question");
    const s = await started(callId, key, { reply: "text", vad: { endSilenceMs: 300, minSpeechMs: 80 } });
    expect(s.messages("ready")[0]!.vad).toEqual({ thresholdDbfs: -40, minSpeechMs: 80, endSilenceMs: 300 });
    sendSpeech(s, 800);
    s.sendAudio(silenceSamples(16000, 320), "pcm16", 16000);
    expect(await s.next("transcript")).toMatchObject({ turnId: "turn-1", text: "billing question" });
    expect((await s.next("intent")).name).toBe("billing");
  });

  it("reports a speech turn it cannot transcribe (no STT provider) as an error and goes on", async () => {
    const { key } = await tenant();
    const callId = await startCall(key);
    const s = await started(callId, key, { reply: "text" });
    sendSpeech(s);
    s.sendAudio(silenceSamples(16000, 700), "pcm16", 16000);
    const error = await s.next("error");
    expect(error).toMatchObject({ status: 503, code: "provider_unavailable" });
    expect(error.detail).toContain("STT_PROVIDERS");
    s.send({ type: "text", text: "billing" });
    expect(await s.next("transcript")).toMatchObject({ turnId: "turn-1", text: "billing" });
    expect(s.summary()).toEqual(["ready", "speech_started", "error", "transcript"]);
    expect(s.closeInfo).toBeUndefined();
  });
});

describe("a spoken turn", { timeout: 30_000 }, () => {
  it(
    "runs speech_started → transcript → " +
      "intent → reply → " +
      "audio → reply_done → " +
      "metrics on the agent fixture",
    async () => {
      const { tenantId, key } = await tenant();
      const callId = await startCall(key);
      await setCallBindings(tenantId, callId, DEEPGRAM);
      stubProviders("agent");
      const s = await started(callId, key);
      const { samples } = wavSamples(agentWav);
      s.sendAudio(samples, "pcm16", 16000);
      s.sendAudio(silenceSamples(16000, 700), "pcm16", 16000);
      const m = await s.next("metrics");
      expect(s.summary()).toEqual([
        "ready",
        "speech_started",
        "transcript",
        "intent",
        "reply",
        "audio",
        "reply_done",
        "metrics",
      ]);
      expect(s.messages("reply")[0]!.text).toBe("Let me connect you with an agent. Please hold while I transfer you.");
      expect(m).toMatchObject({
        turnId: "turn-1",
        sttMs: expect.any(Number),
        nlpMs: expect.any(Number),
        ttsMs: expect.any(Number),
      });
      expect(m.firstAudioMs).not.toBeNull();
      expect(m.firstAudioMs!).toBeLessThanOrEqual(m.sttMs + m.nlpMs + m.ttsMs + 50);
      const view = await callView(tenantId, callId);
      expect(view?.history.filter((h) => h.turnId === "turn-1").map((h) => [h.role, h.text, h.source])).toEqual([
        ["user", "agent", "speech"],
        ["assistant", "Let me connect you with an agent. Please hold while I transfer you.", undefined],
      ]);
      // The caller's utterance is kept like an uploaded turn's audio (the recording).
      const rec = await api(`/api/v1/calls/${callId}/recording?turnId=turn-1`, { key });
      expect(rec.status).toBe(200);
    },
  );
});

describe("barge-in", { timeout: 30_000 }, () => {
  it(
    "caller speech while the reply is still being sent " + "stops its audio; the history keeps what was played",
    async () => {
      const { tenantId, key } = await tenant();
      const callId = await startCall(key);
      await setCallBindings(tenantId, callId, { ...DEEPGRAM, ...OPENAI_TTS });
      // The reply's second sentence is held at the TTS provider: the first is out, the second not made yet.
      const stub = stubProviders("agent", (text) => text === HELLO_REPLY[1]);
      const s = await started(callId, key);
      s.send({ type: "text", text: "hello" });
      await s.next("audio");
      const held = await waitFor(() => stub.tts[1], "the second sentence's synthesis");
      expect(held.text).toBe(HELLO_REPLY[1]);
      // The first sentence (1 s of audio) has played to its end on the caller's side.
      const [firstEnd] = await playbackEnds(tenantId, callId);
      await setStreamClock(tenantId, callId, firstEnd! + 10);
      sendSpeech(s);
      await s.next("speech_started");
      expect(await s.next("interrupted")).toEqual({
        type: "interrupted",
        turnId: "turn-1",
        spokenText: HELLO_REPLY[0],
      });
      held.release();
      s.sendAudio(silenceSamples(16000, 700), "pcm16", 16000);
      await s.until((m) => m.type === "metrics" && m.turnId === "turn-2", "turn-2's metrics");
      expect(s.summary()).toEqual([
        "ready",
        "transcript",
        "intent",
        "reply",
        "audio",
        "speech_started",
        "interrupted",
        "metrics",
        "transcript",
        "intent",
        "reply",
        "audio",
        "reply_done",
        "metrics",
      ]);
      // Only the first sentence's second of audio (16 kHz pcm16) went out for turn-1: no reply_done for it.
      const turn1Audio = s.log
        .slice(
          0,
          s.log.findIndex((m) => m.type === "interrupted"),
        )
        .filter((m) => m.type === "audio");
      expect(turn1Audio.reduce((n, m) => n + (m as { bytes: Uint8Array }).bytes.byteLength, 0)).toBe(32000);
      expect(s.messages("reply_done").map((m) => m.turnId)).toEqual(["turn-2"]);
      expect(s.messages("metrics")[0]).toMatchObject({ turnId: "turn-1", firstAudioMs: expect.any(Number) });
      expect(s.messages("transcript").map((m) => m.text)).toEqual(["hello", "agent"]);
      expect(await assistantEntry(tenantId, callId, "turn-1")).toMatchObject({
        text: HELLO_REPLY[0],
        interrupted: true,
      });
      const view = (await (await api(`/api/v1/calls/${callId}`, { key })).json()) as {
        history: { turnId: string; role: string; text: string; interrupted?: boolean }[];
      };
      // The API shows what was played, flagged as interrupted.
      expect(view.history.find((h) => h.turnId === "turn-1" && h.role === "assistant")).toMatchObject({
        text: HELLO_REPLY[0],
        interrupted: true,
      });
    },
  );

  it("caller speech while the sent reply is still playing interrupts it and rewrites the stored reply", async () => {
    const { tenantId, key } = await tenant();
    const callId = await startCall(key);
    const s = await started(callId, key);
    s.send({ type: "text", text: "hello" });
    await s.next("reply_done");
    await s.next("metrics");
    expect(await assistantEntry(tenantId, callId, "turn-1")).toEqual(
      expect.objectContaining({ text: HELLO_REPLY.join(" ") }),
    );
    const ends = await playbackEnds(tenantId, callId);
    expect(ends).toHaveLength(2);
    await setStreamClock(tenantId, callId, ends[0]! + 10); // in the second sentence
    sendSpeech(s);
    await s.next("speech_started");
    expect(await s.next("interrupted")).toEqual({ type: "interrupted", turnId: "turn-1", spokenText: HELLO_REPLY[0] });
    expect(await interruptedEntry(tenantId, callId, "turn-1", 50)).toMatchObject({
      text: HELLO_REPLY[0],
      interrupted: true,
    });
    // The new utterance is then handled as any other (here: no STT provider, so an error).
    s.sendAudio(silenceSamples(16000, 700), "pcm16", 16000);
    expect(await s.next("error")).toMatchObject({ code: "provider_unavailable" });
  });

  it("does not interrupt a reply that has finished playing", async () => {
    const { tenantId, key } = await tenant();
    const callId = await startCall(key);
    const s = await started(callId, key);
    s.send({ type: "text", text: "hello" });
    await s.next("metrics");
    const ends = await playbackEnds(tenantId, callId);
    await setStreamClock(tenantId, callId, ends[ends.length - 1]! + 10);
    sendSpeech(s);
    s.sendAudio(silenceSamples(16000, 700), "pcm16", 16000);
    await s.next("error"); // the utterance's turn (no STT provider)
    expect(s.messages("interrupted")).toEqual([]);
    expect(await assistantEntry(tenantId, callId, "turn-1")).toEqual(
      expect.objectContaining({ text: HELLO_REPLY.join(" ") }),
    );
    expect((await assistantEntry(tenantId, callId, "turn-1"))?.interrupted).toBeUndefined();
  });

  it("a keypad key pressed over the reply interrupts it too", async () => {
    const { tenantId, key } = await tenant();
    const callId = await startCall(key);
    const s = await started(callId, key);
    s.send({ type: "text", text: "hello" });
    await s.next("metrics");
    const ends = await playbackEnds(tenantId, callId);
    await setStreamClock(tenantId, callId, ends[0]! - 10); // still in the first sentence
    s.sendAudio(toInt16(keyTone("2", 16000, 80)), "pcm16", 16000);
    s.sendAudio(silenceSamples(16000, 100), "pcm16", 16000);
    expect(await s.next("interrupted")).toEqual({ type: "interrupted", turnId: "turn-1", spokenText: "" });
    expect((await s.next("dtmf")).digit).toBe("2");
  });
});
