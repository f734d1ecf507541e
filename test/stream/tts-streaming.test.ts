import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { CallSession } from "../../src/durable/call-session";
import type { StreamAttachment } from "../../src/pipeline/live/stream-state";
import { STREAM_TAG } from "../../src/pipeline/live/stream-open";
import { getHealth, resetHealthForTests } from "../../src/routing/health-registry";
import { TTS_CACHE_PREFIX } from "../../src/storage/speech-cache";
import { startCall, tenant } from "../helpers/api";
import { callObject, setCallBindings } from "../helpers/objects";
import { CHUNK_SAMPLES, SLOW_CHUNKS, stubSpeech } from "./fake-streaming-tts";
import { assistantEntry, interruptedEntry, speechLike, started, type Received, type TestStream } from "./stream-client";
import { waitFor } from "../helpers/wait";

// Live replies from a streaming TTS engine (src/pipeline/stages/speak-stream.ts): OpenAI's streamed
// speech played by a fetch stub (fake-streaming-tts.ts) that sends a sentence's first 200 ms at once
// and, for sentences the test makes slow, the rest over two seconds. Two endpoints
// (OPENAI_BASE_URLS) are two engines of one chain, for failover.

afterEach(() => vi.restoreAllMocks());
beforeEach(() => resetHealthForTests());

const HELLO = [
  "Hello! How can I help you today?",
  "You can say check my balance, billing, technical support, or talk to an agent.",
];
const A = "tts-a.example.com";
const B = "tts-b.example.com";
const ENGINES = {
  TTS_PROVIDERS: "openai",
  OPENAI_API_KEY: "sk-test-key",
  OPENAI_BASE_URLS: `https://${A},https://${B}`,
};

/** Bytes of `samples` provider samples (24 kHz) as the 16 kHz pcm16 the client gets. */
const clientBytes = (samples: number) => Math.ceil((samples * 16000) / 24000) * 2;
const FULL_SENTENCE = clientBytes((SLOW_CHUNKS + 1) * CHUNK_SAMPLES);

/** The reply audio a turn got: its binary frames, between its `reply` and its `reply_done` or `interrupted`. */
function turnAudio(s: TestStream, turnId: string): Uint8Array[] {
  const from = s.log.findIndex((m) => m.type === "reply" && m.turnId === turnId);
  const to = s.log.findIndex(
    (m, i) => i > from && (m.type === "reply_done" || m.type === "interrupted") && m.turnId === turnId,
  );
  return s.log
    .slice(from, to)
    .filter((m): m is Extract<Received, { type: "audio" }> => m.type === "audio")
    .map((m) => m.bytes);
}
const total = (frames: Uint8Array[]) => frames.reduce((n, f) => n + f.byteLength, 0);
const joined = (frames: Uint8Array[]) => {
  const out = new Uint8Array(total(frames));
  let at = 0;
  for (const f of frames) {
    out.set(f, at);
    at += f.byteLength;
  }
  return out;
};

async function setStreamClock(tenantId: string, callId: string, at: number): Promise<void> {
  await runInDurableObject(callObject(tenantId, callId), (instance: CallSession) => {
    instance.streamNow = () => at;
  });
}

async function playbackEnds(tenantId: string, callId: string): Promise<number[]> {
  return runInDurableObject(callObject(tenantId, callId), (_instance, state) => {
    const [ws] = state.getWebSockets(STREAM_TAG);
    return (ws?.deserializeAttachment() as StreamAttachment | null)?.playback?.ends ?? [];
  });
}

/** Every log line the isolate wrote while `fn` ran, parsed. */
function captureLogs(): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  const capture = (...args: unknown[]) => {
    try {
      lines.push(JSON.parse(String(args[0])) as Record<string, unknown>);
    } catch {
      // not one of ours
    }
  };
  vi.spyOn(console, "log").mockImplementation(capture);
  vi.spyOn(console, "warn").mockImplementation(capture);
  vi.spyOn(console, "error").mockImplementation(capture);
  return lines;
}

describe("live replies from a streaming TTS engine", { timeout: 30_000 }, () => {
  it("sends the first audio while the provider is still synthesising the sentence, in 20 ms frames", async () => {
    const { tenantId, key } = await tenant();
    const callId = await startCall(key);
    await setCallBindings(tenantId, callId, ENGINES);
    const answers = stubSpeech(() => "slow");
    const s = await started(callId, key);
    const asked = Date.now();
    s.send({ type: "text", text: "hello" });
    await s.next("audio");
    const firstAudioAfter = Date.now() - asked;
    // The provider takes two seconds for the sentence; its first 200 ms are already playing.
    expect(answers).toHaveLength(1);
    expect(answers[0]).toMatchObject({ host: A, text: HELLO[0], finished: false });
    expect(answers[0]!.samples).toBeLessThan((SLOW_CHUNKS + 1) * CHUNK_SAMPLES);
    expect(firstAudioAfter).toBeLessThan(1500);
    const m = await s.next("metrics");
    expect(m.firstAudioMs!).toBeLessThan(1500);
    expect(answers.map((a) => [a.text, a.finished])).toEqual([
      [HELLO[0], true],
      [HELLO[1], true],
    ]);
    const frames = turnAudio(s, "turn-1");
    // Both sentences whole, each sample once: 2.2 s each at 16 kHz.
    expect(total(frames)).toBe(2 * FULL_SENTENCE);
    // 20 ms frames (640 bytes), but for each sentence's last.
    expect(frames.filter((f) => f.byteLength !== 640).length).toBeLessThanOrEqual(2);
    expect(frames.every((f) => f.byteLength <= 640)).toBe(true);
    expect(s.messages("reply_done").map((r) => r.turnId)).toEqual(["turn-1"]);
    expect(await assistantEntry(tenantId, callId, "turn-1")).toMatchObject({ text: HELLO.join(" ") });
  });

  it("TTS_STREAMING=off synthesises each sentence whole before sending it", async () => {
    const { tenantId, key } = await tenant();
    const callId = await startCall(key);
    await setCallBindings(tenantId, callId, { ...ENGINES, TTS_STREAMING: "off" });
    const answers = stubSpeech((_host, text) => (text === HELLO[0] ? "slow" : "fast"));
    const s = await started(callId, key);
    s.send({ type: "text", text: "hello" });
    await s.next("audio");
    expect(answers[0]!.finished).toBe(true);
    await s.next("reply_done");
  });

  it("stops the provider's stream at a barge-in and keeps only what was played", async () => {
    const { tenantId, key } = await tenant();
    const callId = await startCall(key);
    await setCallBindings(tenantId, callId, ENGINES);
    const answers = stubSpeech((_host, text) => (text === HELLO[0] ? "fast" : "slow"));
    const s = await started(callId, key);
    s.send({ type: "text", text: "hello" });
    // The second sentence is streaming: its first piece has reached the client.
    await waitFor(() => answers[1], "the second sentence's stream");
    await waitFor(() => total(s.messages("audio").map((m) => m.bytes)) > FULL_SENTENCE, "the second sentence's audio");
    const [firstEnd] = await playbackEnds(tenantId, callId);
    // The first sentence has played to its end; the second is playing.
    await setStreamClock(tenantId, callId, firstEnd! + 10);
    s.sendAudio(speechLike(16000, 1200), "pcm16", 16000);
    expect(await s.next("interrupted")).toEqual({ type: "interrupted", turnId: "turn-1", spokenText: HELLO[0] });
    await waitFor(() => answers[1]!.cancelled, "the provider's stream to be cancelled");
    expect(answers[1]!.finished).toBe(false);
    expect(answers).toHaveLength(2);
    const sent = total(turnAudio(s, "turn-1"));
    expect(sent).toBeGreaterThan(FULL_SENTENCE);
    expect(sent).toBeLessThan(2 * FULL_SENTENCE);
    // Nothing more of it goes out once it was cut.
    await new Promise((r) => setTimeout(r, 500));
    expect(total(s.messages("audio").map((m) => m.bytes))).toBe(sent);
    expect(s.messages("reply_done")).toEqual([]);
    expect(await interruptedEntry(tenantId, callId, "turn-1", 50)).toMatchObject({
      text: HELLO[0],
      interrupted: true,
    });
  });

  it("fails over to the next engine when the stream fails before its first audio", async () => {
    const { tenantId, key } = await tenant();
    const callId = await startCall(key);
    await setCallBindings(tenantId, callId, ENGINES);
    const answers = stubSpeech((host) => (host === A ? "drop_before_audio" : "fast"));
    const s = await started(callId, key);
    s.send({ type: "text", text: "hello" });
    await s.next("reply_done");
    const first = answers.filter((a) => a.text === HELLO[0]);
    // A's drop is retried as any dropped connection is, then B answers.
    expect(first.length).toBeGreaterThanOrEqual(2);
    expect(first.slice(0, -1).every((a) => a.host === A)).toBe(true);
    expect(first[first.length - 1]).toMatchObject({ host: B, finished: true });
    expect(total(turnAudio(s, "turn-1"))).toBe(2 * FULL_SENTENCE);
    // Counted against A's breaker, as batch failures would be (which opened it); B's calls all succeeded.
    expect(getHealth("openai", A).breaker.snapshot().state).toBe("open");
    expect(getHealth("openai", B).breaker.snapshot()).toMatchObject({ failureRate: 0, calls: 2 });
    expect(await assistantEntry(tenantId, callId, "turn-1")).toMatchObject({ text: HELLO.join(" ") });
  });

  it("keeps what was sent of a sentence whose stream fails midway, never replays it, and goes on", async () => {
    const { tenantId, key } = await tenant();
    const callId = await startCall(key);
    await setCallBindings(tenantId, callId, ENGINES);
    const lines = captureLogs();
    const answers = stubSpeech((_host, text) => (text === HELLO[0] ? "drop_mid_sentence" : "fast"));
    const s = await started(callId, key);
    s.send({ type: "text", text: "hello" });
    await s.next("reply_done");
    await s.next("metrics");
    // The first sentence was asked for once: what A sent of it (400 ms) was played, and no more.
    expect(answers.map((a) => [a.host, a.text])).toEqual([
      [A, HELLO[0]],
      [A, HELLO[1]],
    ]);
    const audio = joined(turnAudio(s, "turn-1"));
    expect(audio.byteLength).toBe(clientBytes(2 * CHUNK_SAMPLES) + FULL_SENTENCE);
    expect(s.messages("interrupted")).toEqual([]);
    const entry = await assistantEntry(tenantId, callId, "turn-1");
    expect(entry).toMatchObject({ text: HELLO.join(" ") });
    expect(entry?.interrupted).toBeUndefined();
    expect(lines.find((l) => l.event === "tts_stream_cut")).toMatchObject({ provider: "openai", region: A });
    expect(lines.find((l) => l.event === "turn")).toMatchObject({ degraded: ["tts_cut"] });
  });

  it("serves a sentence it has streamed before from the speech cache, whole and without the provider", async () => {
    const { tenantId, key } = await tenant();
    const callId = await startCall(key);
    await setCallBindings(tenantId, callId, ENGINES);
    const answers = stubSpeech(() => "fast");
    const cached = async () => (await env.ARCHIVE.list({ prefix: TTS_CACHE_PREFIX })).objects.length;
    const before = await cached();
    const s = await started(callId, key);
    s.send({ type: "text", text: "hello" });
    await s.next("metrics");
    // Written after each sentence, in the background.
    for (let i = 0; i < 100 && (await cached()) < before + 2; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await cached()).toBe(before + 2);
    s.send({ type: "text", text: "hello" });
    await s.until((m) => m.type === "metrics" && m.turnId === "turn-2", "turn-2's metrics");
    expect(answers).toHaveLength(2);
    const first = joined(turnAudio(s, "turn-1"));
    const second = turnAudio(s, "turn-2");
    expect(joined(second)).toEqual(first);
    expect(second.every((f) => f.byteLength <= 640)).toBe(true);
  });
});
