import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { resetHealthForTests } from "../../src/routing/health-registry";
import { samplesToPcm16 } from "../../src/audio/pcm";
import { keyTone, toInt16 } from "../../src/audio/test-signals";
import agentWav from "../fixtures/audio/agent-16k.wav";
import { api, startCall, tenant, uid } from "../helpers/api";
import { connectStream, parseTwiml, settings as twilioSettings, voiceWebhook } from "../telephony/twilio-client";
import { setCallBindings } from "../helpers/objects";
import { DEEPGRAM_FLUX, DEEPGRAM_STREAMING, fakeDeepgram, type FakeDeepgram } from "./fake-stt-stream";
import {
  assistantEntry,
  callView,
  playbackEnds,
  setStreamClock,
  silenceSamples,
  speechLike,
  started,
  wavSamples,
  type TestStream,
  agentSpeech,
} from "./stream-client";

// Streaming recognition on the live stream (STT_STREAMING_PROVIDERS): a fake Deepgram
// (fake-stt-stream.ts) hears the caller's audio over a WebSocket and ends turns itself, 250 ms
// after the speech; interim transcripts reach the client, the turn runs with the provider's
// transcript, a failed socket falls back to batch recognition, and barge-in waits for words.

afterEach(() => vi.restoreAllMocks());
beforeEach(() => resetHealthForTests());

const RATE = 16000;
const FRAME = RATE / 50; // 20 ms
const AGENT_WORDS = "I want to talk to an agent".split(" ");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Sends `samples` as 20 ms frames paced in real time, then 20 ms frames of silence until `done`
 * holds (as a client streaming a microphone does), at most `maxSilenceMs`. Returns the wall time
 * (performance.now()) the last frame of `samples` went out.
 */
async function streamRealtime(
  s: TestStream,
  samples: Int16Array,
  done: () => boolean,
  maxSilenceMs = 4000,
): Promise<{ sentAt: number; silenceMs: number }> {
  const t0 = performance.now();
  let frames = 0;
  for (let at = 0; at < samples.length; at += FRAME, frames++) {
    await sleep(Math.max(0, t0 + frames * 20 - performance.now()));
    s.sendAudio(samples.subarray(at, Math.min(at + FRAME, samples.length)), "pcm16", RATE);
  }
  const sentAt = performance.now();
  let silenceMs = 0;
  while (!done() && silenceMs < maxSilenceMs) {
    await sleep(Math.max(0, t0 + frames * 20 - performance.now()));
    s.sendAudio(silenceSamples(RATE, 20), "pcm16", RATE);
    frames++;
    silenceMs += 20;
  }
  return { sentAt, silenceMs };
}

const finalTranscript = (s: TestStream) => s.log.find((m) => m.type === "transcript" && m.final);

async function until(fn: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

async function streamingCall(bindings: Record<string, string> = DEEPGRAM_STREAMING) {
  const { tenantId, key } = await tenant();
  const callId = await startCall(key);
  await setCallBindings(tenantId, callId, bindings);
  return { tenantId, key, callId };
}

describe("streaming recognition on the live stream", { timeout: 30_000 }, () => {
  it("sends interim transcripts, then ends the turn on the provider's end of turn, not 600 ms of silence", async () => {
    const { tenantId, key, callId } = await streamingCall();
    const fake = fakeDeepgram([{ words: AGENT_WORDS }]);
    const s = await started(callId, key, { reply: "text" });
    const { samples, speechEnd } = agentSpeech();
    const tailMs = ((samples.length - speechEnd) * 1000) / RATE; // the fixture's own silence after its speech
    // The fixture and its own silence only: the endpointer never hears the 600 ms it would need.
    const { sentAt } = await streamRealtime(s, samples, () => true);
    await s.until((m) => m.type === "transcript" && m.final, "the final transcript");
    const heardAt = performance.now();
    // Interims first, then the provider's transcript as the turn's.
    const transcripts = s.messages("transcript");
    const interims = transcripts.filter((t) => !t.final);
    expect(interims.length).toBeGreaterThanOrEqual(3);
    expect(transcripts.findIndex((t) => t.final)).toBeGreaterThan(transcripts.indexOf(interims[0]!));
    expect(interims.map((t) => t.text)).toContain("I want to");
    expect(interims[0]).toMatchObject({ final: false, source: "speech" });
    expect(transcripts.find((t) => t.final)).toEqual({
      type: "transcript",
      turnId: "turn-1",
      text: AGENT_WORDS.join(" "),
      final: true,
      source: "speech",
    });
    // The turn ended on the provider's word, 250 ms into the fixture's 310 ms of silence: there was
    // never the endpointer's 600 ms (nor its 2 s safety net), and it came in time.
    expect(tailMs).toBeLessThan(600);
    expect(heardAt - sentAt).toBeLessThan(1000);
    await s.next("metrics");
    expect(s.messages("intent")[0]!.name).toBe("human_agent");
    expect(fake.batch).toEqual([]); // no batch recognition
    // The socket was finished and closed once the turn was taken: an idle call holds none.
    await until(() => fake.sockets[0]!.closed, "the provider socket to close");
    expect(fake.sockets).toHaveLength(1);
    expect(fake.sockets[0]!.texts).toContain(JSON.stringify({ type: "CloseStream" }));
    // Pre-roll: the provider heard the speech from its very start (the fixture begins with speech).
    expect(fake.sockets[0]!.audioMs).toBeGreaterThanOrEqual(((speechEnd * 1000) / RATE) * 0.95);
    const view = await callView(tenantId, callId);
    expect(view?.history.find((h) => h.turnId === "turn-1" && h.role === "user")).toMatchObject({
      text: AGENT_WORDS.join(" "),
      source: "speech",
    });
    // The audio is stored as for a batch-recognised turn.
    expect((await api(`/api/v1/calls/${callId}/recording?turnId=turn-1`, { key })).status).toBe(200);
  });

  it("falls back to batch STT with the buffered utterance when the provider socket drops mid-utterance", async () => {
    const { key, callId } = await streamingCall();
    const fake = fakeDeepgram([{ words: AGENT_WORDS, dropAfterMs: 800 }]);
    fake.batchTranscript = "I want to talk to an agent please";
    const s = await started(callId, key, { reply: "text" });
    const { samples, speechEnd } = agentSpeech();
    await streamRealtime(s, samples, () => finalTranscript(s) !== undefined);
    expect(await s.until((m) => m.type === "transcript" && m.final, "the final transcript")).toMatchObject({
      turnId: "turn-1",
      text: "I want to talk to an agent please",
    });
    expect(fake.sockets[0]!.sent).toContain("dropped");
    expect(fake.batch).toHaveLength(1);
    // The whole utterance went to the batch chain, not only what followed the drop.
    const batchMs = ((fake.batch[0]! - 44) / 2 / RATE) * 1000;
    expect(batchMs).toBeGreaterThanOrEqual((speechEnd * 1000) / RATE - 50);
    expect((await s.next("intent")).name).toBe("human_agent");
  });

  it("ends a turn the provider never ends after the safety net's 2 s of silence, with its transcript", async () => {
    const { key, callId } = await streamingCall();
    const fake = fakeDeepgram([{ words: ["billing"], noEndOfTurn: true }]);
    const s = await started(callId, key, { reply: "text" });
    s.sendAudio(speechLike(RATE, 600), "pcm16", RATE);
    s.sendAudio(silenceSamples(RATE, 1500), "pcm16", RATE);
    await sleep(300);
    expect(finalTranscript(s)).toBeUndefined(); // 600 ms of silence no longer ends it
    s.sendAudio(silenceSamples(RATE, 600), "pcm16", RATE);
    expect(await s.until((m) => m.type === "transcript" && m.final, "the final transcript")).toMatchObject({
      turnId: "turn-1",
      text: "billing",
    });
    expect((await s.next("intent")).name).toBe("billing");
    expect(fake.batch).toEqual([]);
  });
});

describe("barge-in with streaming recognition", { timeout: 30_000 }, () => {
  /** A call whose reply (two sentences, eSpeak) is still playing its second sentence. */
  async function replyPlaying(fake: () => FakeDeepgram) {
    const call = await streamingCall();
    const stub = fake();
    const s = await started(call.callId, call.key);
    s.send({ type: "text", text: "hello" });
    await s.next("metrics");
    const ends = await playbackEnds(call.tenantId, call.callId);
    expect(ends).toHaveLength(2);
    await setStreamClock(call.tenantId, call.callId, ends[0]! + 10);
    return { ...call, s, stub };
  }

  it("a backchannel (uh-huh) over the reply neither interrupts it nor takes a turn; three words do", async () => {
    const { tenantId, callId, s, stub } = await replyPlaying(() =>
      fakeDeepgram([{ words: ["uh-huh"] }, { words: ["wait", "a", "second"] }]),
    );
    s.sendAudio(speechLike(RATE, 400), "pcm16", RATE);
    s.sendAudio(silenceSamples(RATE, 400), "pcm16", RATE);
    await s.next("speech_started");
    await until(() => stub.sockets[0]?.closed === true, "the backchannel's socket to close");
    await sleep(100);
    expect(
      s
        .messages("transcript")
        .filter((t) => !t.final && t.turnId === undefined)
        .map((t) => t.text),
    ).toEqual(["uh-huh"]);
    expect(s.messages("interrupted")).toEqual([]);
    expect(
      s
        .messages("transcript")
        .filter((t) => t.final)
        .map((t) => t.turnId),
    ).toEqual(["turn-1"]);
    expect((await assistantEntry(tenantId, callId, "turn-1"))?.interrupted).toBeUndefined();

    s.sendAudio(speechLike(RATE, 500, 7), "pcm16", RATE);
    s.sendAudio(silenceSamples(RATE, 400), "pcm16", RATE);
    expect(await s.next("interrupted")).toMatchObject({ turnId: "turn-1" });
    // It took real words, not the sound alone: the interruption followed an interim with two of them.
    const cutAt = s.log.findIndex((m) => m.type === "interrupted");
    const before = s.log.slice(0, cutAt).filter((m) => m.type === "transcript" && !m.final);
    expect(before.at(-1)).toMatchObject({ text: "wait a" });
    expect(await s.until((m) => m.type === "transcript" && m.final === true, "turn-2's transcript")).toMatchObject({
      turnId: "turn-2",
      text: "wait a second",
    });
  });
});

/** OpenAI speech: 1 s of tone for any sentence; records when each request came (performance.now()). */
function openAiSpeech(requests: { text: string; at: number }[]) {
  const answer = async (req: Request): Promise<Response> => {
    const { input } = (await req.json()) as { input: string };
    requests.push({ text: input, at: performance.now() });
    const tone = toInt16(keyTone("5", 24000, 1000, -20, -20));
    return new Response(samplesToPcm16(tone, true), { headers: { "Content-Type": "audio/pcm" } });
  };
  return (req: Request) => (new URL(req.url).pathname === "/v1/audio/speech" ? answer(req) : undefined);
}

const OPENAI_TTS = { TTS_PROVIDERS: "openai", OPENAI_API_KEY: "sk-test-key" };
const BALANCE = ["check", "my", "balance"];

describe("eager end of turn (Flux)", { timeout: 30_000 }, () => {
  it("prepares the reply on EagerEndOfTurn and sends it only once EndOfTurn confirms", async () => {
    const { tenantId, key, callId } = await streamingCall({ ...DEEPGRAM_FLUX, ...OPENAI_TTS });
    const tts: { text: string; at: number }[] = [];
    const fake = fakeDeepgram([{ words: BALANCE, eagerSilenceMs: 150, endSilenceMs: 400 }], openAiSpeech(tts));
    const s = await started(callId, key);
    s.sendAudio(speechLike(RATE, 500), "pcm16", RATE);
    s.sendAudio(silenceSamples(RATE, 200), "pcm16", RATE);
    // The eager turn is synthesising its reply while the caller might still go on...
    await until(() => tts.length > 0, "the eager turn's synthesis");
    await sleep(200);
    expect(fake.sockets[0]!.sent).toContain("EagerEndOfTurn");
    expect(fake.sockets[0]!.sent).not.toContain("EndOfTurn");
    // ...but nothing of it reaches the caller yet.
    const sent = () => s.log.filter((m) => m.type !== "transcript" || m.final).map((m) => m.type);
    expect(sent()).toEqual(["ready", "speech_started"]);
    s.sendAudio(silenceSamples(RATE, 300), "pcm16", RATE);
    await s.next("metrics");
    expect(fake.sockets[0]!.sent).toContain("EndOfTurn");
    const finals = s.messages("transcript").filter((t) => t.final);
    expect(finals).toEqual([expect.objectContaining({ turnId: "turn-1", text: "check my balance" })]);
    expect(sent().filter((t, i, all) => t !== "audio" || all[i - 1] !== "audio")).toEqual([
      ...["ready", "speech_started", "transcript", "intent", "reply", "audio", "reply_done", "metrics"],
    ]);
    const view = await callView(tenantId, callId);
    expect(view?.history.filter((h) => h.role === "user").map((h) => h.text)).toEqual(["check my balance"]);
  });

  it("a reply prepared on EagerEndOfTurn is dropped on TurnResumed: nothing of it is sent or stored", async () => {
    const { tenantId, key, callId } = await streamingCall({ ...DEEPGRAM_FLUX, ...OPENAI_TTS });
    const tts: { text: string; at: number }[] = [];
    const fake = fakeDeepgram([{ words: BALANCE, eagerSilenceMs: 150, endSilenceMs: 300 }], openAiSpeech(tts));
    const s = await started(callId, key);
    // "check my" ... a pause long enough for an eager end of turn ... "balance".
    s.sendAudio(speechLike(RATE, 320), "pcm16", RATE);
    s.sendAudio(silenceSamples(RATE, 200), "pcm16", RATE);
    await until(() => tts.length > 0, "the eager turn's synthesis"); // the eager turn is under way
    s.sendAudio(speechLike(RATE, 300, 3), "pcm16", RATE);
    s.sendAudio(silenceSamples(RATE, 400), "pcm16", RATE);
    await s.next("metrics");
    expect(fake.sockets[0]!.sent).toEqual(expect.arrayContaining(["EagerEndOfTurn", "TurnResumed", "EndOfTurn"]));
    // One turn, with the whole of what was said; the eager one left no trace.
    const finals = s.messages("transcript").filter((t) => t.final);
    expect(finals).toEqual([expect.objectContaining({ turnId: "turn-1", text: "check my balance" })]);
    expect(s.messages("reply")).toHaveLength(1);
    expect(s.messages("reply_done")).toHaveLength(1);
    const view = await callView(tenantId, callId);
    expect(view?.history.filter((h) => h.role === "user").map((h) => h.text)).toEqual(["check my balance"]);
    expect(view?.history).toHaveLength(3); // the greeting, the caller's turn and its reply
    expect(s.messages("intent")[0]!.name).toBe("check_balance");
  });
});

describe("streaming recognition on the Twilio bridge", { timeout: 30_000 }, () => {
  it("recognises the caller's 8 kHz mu-law speech as it comes and ends the turn on the provider's word", async () => {
    const tenantId = uid("t");
    const vars = twilioSettings(tenantId);
    const res = await voiceWebhook(vars);
    const { callId } = parseTwiml(await res.text());
    await setCallBindings(tenantId, callId, DEEPGRAM_STREAMING);
    const fake = fakeDeepgram([{ words: AGENT_WORDS }]);
    const s = await connectStream(vars, callId);
    if (s instanceof Response) throw new Error(`stream refused: ${s.status}`);
    s.connected();
    s.start(callId);
    const { samples } = wavSamples(agentWav, 8000);
    s.media(samples);
    s.media(silenceSamples(8000, 300)); // with the fixture's own tail: short of the 600 ms endpointing
    await s.until((m) => m.event === "mark" && m.mark.name.startsWith("turn-1."), "turn-1's first mark");
    const view = await callView(tenantId, callId);
    expect(view?.history.filter((h) => h.role === "user").map((h) => [h.turnId, h.text, h.source])).toEqual([
      ["turn-1", AGENT_WORDS.join(" "), "speech"],
    ]);
    expect(fake.batch).toEqual([]);
    // The adapter resampled the 8 kHz line to the provider's 16 kHz: it heard the whole utterance.
    expect(fake.sockets[0]!.audioMs).toBeGreaterThanOrEqual(1800);
    s.stop();
    await s.closed();
  });
});
