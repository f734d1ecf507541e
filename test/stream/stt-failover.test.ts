import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { healthSnapshot, resetHealthForTests } from "../../src/routing/health-registry";
import { startCall, tenant } from "../helpers/api";
import { setCallBindings } from "../helpers/objects";
import { DEEPGRAM_THEN_ASSEMBLYAI, fakeAssemblyAi, fakeDeepgram } from "./fake-stt-stream";
import { agentSpeech, silenceSamples, speechLike, started, type TestStream } from "./stream-client";

// Failover between streaming recognisers (src/pipeline/live/utterance-socket.ts): with
// STT_STREAMING_PROVIDERS=deepgram,assemblyai, a Deepgram socket that fails hands the utterance to
// AssemblyAI, which hears it from its start; a Deepgram that keeps refusing is skipped once its
// breaker opens; and only when both fail does the batch chain hear the utterance.

afterEach(() => vi.restoreAllMocks());
beforeEach(() => resetHealthForTests());

const RATE = 16000;
const FRAME = RATE / 50; // 20 ms
const AGENT_WORDS = "I want to talk to an agent".split(" ");
/** What the second provider hears: other words than the first's, so the transcript says who heard it. */
const SECOND_WORDS = [...AGENT_WORDS, "please"];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ms = (samples: number) => (samples * 1000) / RATE;

/** Sends `samples` as 20 ms frames paced in real time, then silence until the turn's final transcript. */
async function streamRealtime(s: TestStream, samples: Int16Array): Promise<void> {
  const t0 = performance.now();
  let frames = 0;
  const pace = () => sleep(Math.max(0, t0 + frames * 20 - performance.now()));
  for (let at = 0; at < samples.length; at += FRAME, frames++) {
    await pace();
    s.sendAudio(samples.subarray(at, Math.min(at + FRAME, samples.length)), "pcm16", RATE);
  }
  for (let silenceMs = 0; !finalTranscript(s) && silenceMs < 4000; silenceMs += 20, frames++) {
    await pace();
    s.sendAudio(silenceSamples(RATE, 20), "pcm16", RATE);
  }
}

async function until(fn: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const finalTranscript = (s: TestStream) => s.log.find((m) => m.type === "transcript" && m.final);

async function streamingCall() {
  const { tenantId, key } = await tenant();
  const callId = await startCall(key);
  await setCallBindings(tenantId, callId, DEEPGRAM_THEN_ASSEMBLYAI);
  return { key, callId };
}

const breaker = (provider: string) => healthSnapshot().find((h) => h.key === `${provider}@global`)?.breaker;

describe("failover between streaming recognisers", { timeout: 30_000 }, () => {
  it("a socket dropped mid-utterance hands the whole utterance to the next provider, which ends the turn", async () => {
    const { key, callId } = await streamingCall();
    const second = fakeAssemblyAi([{ words: SECOND_WORDS }]);
    const first = fakeDeepgram([{ words: AGENT_WORDS, dropAfterMs: 800 }], second.fetch);
    const s = await started(callId, key, { reply: "text" });
    const { samples, speechEnd } = agentSpeech();
    await streamRealtime(s, samples);
    expect(await s.until((m) => m.type === "transcript" && m.final, "the final transcript")).toMatchObject({
      turnId: "turn-1",
      text: SECOND_WORDS.join(" "),
    });
    expect(first.sockets).toHaveLength(1);
    expect(first.sockets[0]!.sent).toContain("dropped");
    expect(second.sockets).toHaveLength(1);
    // The second provider heard the utterance from its start (the fixture begins with speech), not
    // only what followed the drop; and it ended the turn.
    expect(second.sockets[0]!.audioMs).toBeGreaterThanOrEqual(ms(speechEnd) * 0.95);
    expect(second.sockets[0]!.sent).toContain("EndOfTurn");
    // Its interims reached the client too.
    const interims = s.messages("transcript").filter((t) => !t.final);
    expect(interims.map((t) => t.text)).toContain(SECOND_WORDS.slice(0, 3).join(" "));
    expect(first.batch).toEqual([]); // no batch recognition
    expect((await s.next("intent")).name).toBe("human_agent");
    // Both outcomes reached the breakers the batch chain uses: Deepgram's drop is a failure.
    expect(breaker("deepgram")).toMatchObject({ state: "closed", calls: 2, failureRate: 0.5 });
    expect(breaker("assemblyai")).toMatchObject({ state: "closed", calls: 1, failureRate: 0 });
  });

  it("a provider refusing its sockets is skipped once its breaker opens: later utterances go to the next", async () => {
    const { key, callId } = await streamingCall();
    const heard = { words: ["billing"] };
    const second = fakeAssemblyAi([...Array<typeof heard>(7).fill(heard), { ...heard, dropAfterMs: 100 }]);
    const first = fakeDeepgram([{ ...heard, refuseStatus: 503 }], second.fetch);
    const s = await started(callId, key, { reply: "text" });
    const turn = (n: number) =>
      s.until((m) => m.type === "transcript" && m.final && m.turnId === `turn-${n}`, `turn-${n}`);
    const utterance = async (n: number) => {
      s.sendAudio(speechLike(RATE, 600, n), "pcm16", RATE);
      s.sendAudio(silenceSamples(RATE, 400), "pcm16", RATE);
      expect(await turn(n)).toMatchObject({ text: "billing" });
      await s.next("reply_done");
    };
    // Five refusals in a row: the breaker's minimum of calls, all failed.
    for (let n = 1; n <= 5; n++) await utterance(n);
    const openedAt = Date.now();
    expect(first.sockets.map((k) => k.refused)).toEqual([503, 503, 503, 503, 503]);
    expect(second.sockets).toHaveLength(5); // each utterance failed over
    expect(breaker("deepgram")?.state).toBe("open");
    // Within the 5 s before a trickle probe is due: Deepgram is not even tried.
    for (let n = 6; n <= 7; n++) await utterance(n);
    expect(first.sockets).toHaveLength(5);
    expect(second.sockets).toHaveLength(7);
    expect(first.batch).toEqual([]);
    // AssemblyAI drops the next one: open Deepgram is not failed over to either; the batch chain
    // hears the utterance, its call to Deepgram going as the shared breaker's panic probe (one a
    // second, hence the wait), whose success closes the breaker for streaming too.
    await sleep(Math.max(0, openedAt + 1200 - Date.now()));
    s.sendAudio(speechLike(RATE, 600, 8), "pcm16", RATE);
    s.sendAudio(silenceSamples(RATE, 400), "pcm16", RATE);
    await until(() => second.sockets[7]?.sent.includes("dropped") === true, "AssemblyAI's drop");
    s.sendAudio(silenceSamples(RATE, 800), "pcm16", RATE); // the caller's own 600 ms silence rule is back
    expect(await turn(8)).toMatchObject({ text: "batch transcript" });
    expect(first.sockets).toHaveLength(5);
    expect(first.batch).toHaveLength(1);
    expect(breaker("deepgram")?.state).toBe("closed");
  });

  it("when every streaming provider fails, the batch chain hears the whole utterance", async () => {
    const { key, callId } = await streamingCall();
    const second = fakeAssemblyAi([{ words: SECOND_WORDS, dropAfterMs: 300 }]);
    const first = fakeDeepgram([{ words: AGENT_WORDS, dropAfterMs: 800 }], second.fetch);
    first.batchTranscript = "I want to talk to an agent right now";
    const s = await started(callId, key, { reply: "text" });
    const { samples, speechEnd } = agentSpeech();
    await streamRealtime(s, samples);
    expect(await s.until((m) => m.type === "transcript" && m.final, "the final transcript")).toMatchObject({
      turnId: "turn-1",
      text: "I want to talk to an agent right now",
    });
    // The second provider was tried, and failed too.
    expect(first.sockets[0]!.sent).toContain("dropped");
    expect(second.sockets).toHaveLength(1);
    expect(second.sockets[0]!.sent).toContain("dropped");
    expect(first.batch).toHaveLength(1);
    const batchMs = ms((first.batch[0]! - 44) / 2);
    expect(batchMs).toBeGreaterThanOrEqual(ms(speechEnd) - 50);
    expect((await s.next("intent")).name).toBe("human_agent");
  });
});
