#!/usr/bin/env node
// bench:stream — many live call streams at once (issue 8). Each stream: a call, a stream token, a
// WebSocket to /api/v1/calls/{id}/stream, `start` (pcm16, 16 kHz), then per turn the speech fixture
// (test/fixtures/audio/agent-16k.wav) followed by 1 s of silence, sent as 20 ms frames paced in real
// time (each frame at its due time from the stream's start, so pacing errors do not accumulate).
// The server's endpointer ends the turn after its end-of-speech silence (600 ms by default); STT
// is a provider stub speaking OpenAI's wire format with a fixed delay (bench/lib/provider-stub.mjs),
// TTS the embedded engine (real synthesis). Printed per concurrency:
//   - streams held (ready, and still open at the end), uplink frames/s;
//   - end of speech (the last loud frame sent) → first reply audio byte, p50/p99, and what the
//     server says of the same turn (`metrics`: STT, NLP, TTS, first audio after the turn ended);
//     the platform's share is the client figure minus the endpointing silence, the STT stub's
//     delay and the first sentence's synthesis;
//   - lost or reordered audio: the server's audio clock at `speech_started` against the audio the
//     client had sent by then (a lost or reordered frame shows as a shift), and reply frames of
//     an unexpected size.
// WebSockets are not HTTP requests, so autocannon/wrk do not apply; the client is Node's WebSocket.
// --tts-stream [on|off]: TTS from a stub of OpenAI's streamed speech instead (the first 100 ms of a
// sentence 150 ms after the request, the rest in real time over the sentence's duration), with the
// speech cache off so every sentence is synthesised; `off` runs the same stub with TTS_STREAMING=off
// (each sentence read whole before it is sent), for comparison.
// --stt-stream [on|off|compare]: streaming recognition (STT_STREAMING_PROVIDERS=deepgram) against a
// fake Deepgram /v1/listen socket (bench/lib/fake-stt-stream.mjs) that ends the turn 250 ms after the
// last speech frame, so the turn does not wait for the endpointer's 600 ms of silence; `off` is the
// batch path on the same stub; `compare` (the bare flag) runs both, batch first. These modes print
// p50/p95, and voice-edge's own share: the client's figure minus the fakes' delays (the fake's
// 250 ms end of turn; for batch, the 600 ms endpointing silence and the STT stub's delay).
// --model [on|off]: each stream's call runs an agent (PUT /api/v1/agents/bench-agent, then POST /api/v1/calls
// {"agent": "bench-agent"}; bench/lib/bench-agent.mjs, as bench:agent) whose language model is a fake
// (bench/lib/fake-model.mjs, in a worker thread: bench/lib/fakes-thread.mjs) speaking OpenAI Chat Completions
// streaming, LLM_PROVIDERS=openai with OPENAI_LLM_BASE_URL at it: first token 300 ms after the request, then a
// two-sentence reply at --model-tps tokens a second (default 1000, so the first sentence is whole a few ms
// after the first token). The own share then takes out the model's time to its first sentence too
// (250 + 300 + 150 ms with both streams on, plus the few ms of the first sentence's other tokens).
// Targets of issue 18, printed and never asserted: voice to voice ≤ 800 ms p50 at 25 streams; own share
// ≤ 40 ms p50 at 1 stream and ≤ 120 ms p95 at 25.
// Usage: npm run bench:stream -- [--streams 1,10,25] [--turns 2] [--delay 50] [--tts-stream [on|off]]
//   [--stt-stream [on|off|compare]] [--model [on|off]] [--model-tps 1000] [--url http://127.0.0.1:8787] [--profile]
// (--profile: the Worker runs under wrangler dev with its inspector, logging nothing, and V8's sampling profiler
// records the measured levels: where the CPU of a turn goes, printed per turn and written to profiles/; the
// latencies are then the profiler's, not figures to quote.)
// (--url: an already-running server, e.g. `npm run dev`; it must have an STT provider for speech
// turns, and ADMIN_TOKEN in the environment.)
/* global WebSocket -- Node 22 has a WHATWG WebSocket client built in */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { ADMIN_TOKEN, client } from "./lib/api.mjs";
import { printProfile, quietSource, startProfile } from "./lib/cpu-profile.mjs";
import { BENCH_AGENT_ID, fakeModelVars, putBenchAgent } from "./lib/bench-agent.mjs";
import { ROOT, startDevServer } from "./lib/dev-server.mjs";
import { f1, pct } from "./lib/load.mjs";
import { machineLines } from "./lib/machine.mjs";
import { startFakesThread } from "./lib/fakes-thread.mjs";
import { voiceEdgeVars } from "./turns.mjs";
import { SPEECH_RATE, speechAnswer } from "./fault-wire.mjs";

const RATE = 16000;
const FRAME_MS = 20;
const FRAME_BYTES = (RATE * 2 * FRAME_MS) / 1000;
const END_SILENCE_MS = 600; // the endpointer's default (src/stream/protocol.ts)
const TTS_FIRST_BYTE_MS = 150; // --tts-stream: the stub's time to a sentence's first audio
const FAKE_END_OF_TURN_MS = 250; // --stt-stream: the fake recogniser's end of turn after the speech
const MODEL_FIRST_TOKEN_MS = 300; // --model: the fake model's time to its first token
/** --model: the fake model's reply, two sentences; the first (8 tokens) is what the first audio waits for. */
const MODEL_REPLY = ["Sure, I can connect you with an agent.", "Please stay on the line for a moment."];
const TARGETS = { voiceP50At25: 800, ownP50At1: 40, ownP95At25: 120 };

/**
 * --tts-stream off: when the streamed-speech stub has written a sentence's last byte, ms after the request (its
 * first 100 ms piece at TTS_FIRST_BYTE_MS, then a piece every 100 ms; provider-stub.mjs), which is what the
 * first audio waits for when each sentence is read whole.
 */
function wholeSentenceMs(text) {
  const bytes = speechAnswer({ input: text, response_format: "pcm" }).body.length;
  return TTS_FIRST_BYTE_MS + (Math.ceil(bytes / ((SPEECH_RATE / 10) * 2)) - 1) * 100;
}

function ttsLabel(o) {
  if (!o.ttsStream) return "the embedded engine";
  return (
    `OpenAI-wire streamed-speech stub (first audio ${TTS_FIRST_BYTE_MS} ms, the rest in real time; ` +
    `TTS_STREAMING=${o.ttsStream}, speech cache off)`
  );
}

/** The fixture's PCM16 samples (its data chunk) and where its speech ends, in ms. */
function speechFixture() {
  const wav = readFileSync(join(ROOT, "test", "fixtures", "audio", "agent-16k.wav"));
  let off = 12;
  while (off + 8 <= wav.length) {
    const id = wav.toString("latin1", off, off + 4);
    const size = wav.readUInt32LE(off + 4);
    if (id === "data") {
      const pcm = wav.subarray(off + 8, off + 8 + size);
      let lastLoud = 0;
      for (let f = 0; (f + 1) * FRAME_BYTES <= pcm.length; f++) {
        let sum = 0;
        for (let i = f * FRAME_BYTES; i < (f + 1) * FRAME_BYTES; i += 2) sum += (pcm.readInt16LE(i) / 32768) ** 2;
        if (10 * Math.log10(sum / (FRAME_BYTES / 2) + 1e-12) > -40) lastLoud = f;
      }
      let firstLoud = 0;
      for (let f = 0; (f + 1) * FRAME_BYTES <= pcm.length; f++) {
        let sum = 0;
        for (let i = f * FRAME_BYTES; i < (f + 1) * FRAME_BYTES; i += 2) sum += (pcm.readInt16LE(i) / 32768) ** 2;
        if (10 * Math.log10(sum / (FRAME_BYTES / 2) + 1e-12) > -40) {
          firstLoud = f;
          break;
        }
      }
      // One turn: the speech, then a second of silence (the endpointer needs 600 ms of it).
      const turn = Buffer.concat([pcm, Buffer.alloc(RATE * 2)]);
      return { turn, speechStartMs: firstLoud * FRAME_MS, speechEndMs: (lastLoud + 1) * FRAME_MS };
    }
    off += 8 + size + (size & 1);
  }
  throw new Error("agent-16k.wav has no data chunk");
}

const sleepUntil = (t) => new Promise((r) => setTimeout(r, Math.max(0, t - performance.now())));

/** One stream: opens, takes `turns` spoken turns, stops. Resolves with what it measured. */
async function oneStream(api, base, key, fixture, turns, callBody = {}) {
  const out = { ready: false, openAtEnd: false, framesSent: 0, turns: [], clockShiftMs: [], oddFrames: 0, errors: [] };
  const { callId } = await api.must("/api/v1/calls?reply=text", { method: "POST", token: key, json: callBody });
  const { token } = await api.must(`/api/v1/calls/${callId}/stream-token`, { method: "POST", token: key });
  const ws = new WebSocket(
    `${base.replace(/^http/, "ws")}/api/v1/calls/${callId}/stream?token=${encodeURIComponent(token)}`,
  );
  ws.binaryType = "arraybuffer";
  const waiters = new Map();
  const wait = (type) => new Promise((res) => waiters.set(type, res));
  let turn = null;
  let sentMs = 0; // audio sent so far on this stream, in ms (the server's clock counts the same)
  ws.onmessage = (e) => {
    const now = performance.now();
    if (typeof e.data !== "string") {
      if (turn && turn.firstAudioAt === undefined) turn.firstAudioAt = now;
      if (e.data.byteLength !== FRAME_BYTES && turn) turn.short = (turn.short ?? 0) + 1;
      return;
    }
    const m = JSON.parse(e.data);
    if (m.type === "speech_started" && turn) out.clockShiftMs.push(Math.abs(m.atMs - turn.expectedSpeechAtMs));
    if (m.type === "metrics" && turn) turn.server = m;
    if (m.type === "error") out.errors.push(`${m.code}: ${m.detail}`.slice(0, 160));
    waiters.get(m.type)?.(m);
    waiters.delete(m.type);
  };
  const closed = new Promise((res) => (ws.onclose = res));
  await new Promise((res, rej) => ((ws.onopen = res), (ws.onerror = () => rej(new Error("websocket error")))));
  const ready = wait("ready");
  ws.send(JSON.stringify({ type: "start", format: "pcm16", sampleRate: RATE }));
  await ready;
  out.ready = true;
  for (let t = 0; t < turns; t++) {
    turn = { index: t, expectedSpeechAtMs: sentMs + fixture.speechStartMs };
    const done = wait("metrics");
    const t0 = performance.now();
    for (let f = 0; (f + 1) * FRAME_BYTES <= fixture.turn.length; f++) {
      await sleepUntil(t0 + f * FRAME_MS);
      ws.send(fixture.turn.subarray(f * FRAME_BYTES, (f + 1) * FRAME_BYTES));
      out.framesSent++;
      sentMs += FRAME_MS;
      if ((f + 1) * FRAME_MS === fixture.speechEndMs) turn.speechEndAt = performance.now();
    }
    const timeout = new Promise((res) => setTimeout(() => res("timeout"), 30_000));
    if ((await Promise.race([done, timeout])) === "timeout") out.errors.push("no reply within 30 s");
    else out.turns.push(turn);
    out.oddFrames += turn.short ?? 0; // each sentence's audio ends with one short frame
  }
  out.openAtEnd = ws.readyState === WebSocket.OPEN;
  ws.send(JSON.stringify({ type: "stop" }));
  await Promise.race([closed, new Promise((r) => setTimeout(r, 5000))]);
  return out;
}

/** The client's figures grouped by the turn's place in its call (1st, 2nd...), each sorted. */
function byTurnIndex(turns, figure) {
  const groups = [];
  for (const t of turns) {
    const v = figure(t);
    if (Number.isFinite(v)) (groups[t.index] ??= []).push(v);
  }
  return [...groups].map((g) => (g ?? []).sort((a, b) => a - b));
}

async function run(o) {
  if (o.sttStream === "compare") {
    for (const sttStream of ["off", "on"]) await run({ ...o, sttStream });
    return;
  }
  if ((o.model || o.profile) && o.url) {
    console.error("bench:stream: --model and --profile start their own server (no --url)");
    process.exitCode = 2;
    return;
  }
  // What the client's figure waits for outside voice-edge: the end of turn, and (batch) the STT stub.
  // With the streamed-speech stub, its time to first audio is the provider's too, not voice-edge's; with
  // --model, the fake model's time to its first sentence (set once the model has started).
  const shareMode = Boolean(o.sttStream || o.model);
  let waitMs =
    (o.sttStream === "on" ? FAKE_END_OF_TURN_MS : END_SILENCE_MS + (shareMode ? o.delayMs : 0)) +
    (shareMode && o.ttsStream === "on" ? TTS_FIRST_BYTE_MS : 0);
  const high = shareMode ? 95 : 99;
  console.log(`voice-edge bench (stream), ${new Date().toISOString()}`);
  for (const line of machineLines()) console.log(line);
  const fixture = speechFixture();
  console.log(
    `parameters: streams ${o.streams.join(", ")}; ${o.turns} turns per stream; a turn = ` +
      `test/fixtures/audio/agent-16k.wav (speech ${fixture.speechStartMs}-${fixture.speechEndMs} ms) + 1 s of ` +
      `silence as ${FRAME_MS} ms pcm16 frames at ${RATE} Hz, paced in real time; STT: OpenAI-wire stub ` +
      `answering after ${o.delayMs} ms; TTS: ${ttsLabel(o)}, reply=audio (the sentence-by-sentence stream)` +
      (o.model ? `; calls run agent ${BENCH_AGENT_ID} on the fake model` : "; calls run the default flow"),
  );
  let stub;
  let server;
  let profileSource;
  let sttFake;
  let fakes;
  try {
    let base = o.url;
    if (!base) {
      // The fakes in a thread of their own (fakes-thread.mjs): 25 real-time senders in this one would
      // delay the stub's streamed speech, the recogniser's answers and the model's tokens.
      fakes = await startFakesThread({
        stub: { delayMs: o.delayMs, ...(o.ttsStream ? { ttsStream: { firstByteMs: TTS_FIRST_BYTE_MS } } : {}) },
        ...(o.sttStream === "on" ? { sttStream: { endOfTurnMs: FAKE_END_OF_TURN_MS } } : {}),
        ...(o.model
          ? { model: { firstTokenMs: MODEL_FIRST_TOKEN_MS, tokensPerSecond: o.modelTps, sentences: MODEL_REPLY } }
          : {}),
      });
      stub = fakes.stub;
      sttFake = fakes.sttStream;
      // Every sentence synthesised (not replayed from the speech cache), streamed or whole as asked.
      const tts = o.ttsStream
        ? ["TTS_PROVIDERS=openai", "TTS_CACHE_TTL_SECONDS=0", `TTS_STREAMING=${o.ttsStream}`]
        : [];
      const stt = sttFake ? ["STT_STREAMING_PROVIDERS=deepgram", `DEEPGRAM_BASE_URL=${sttFake.url}`] : [];
      if (o.model) {
        waitMs += fakes.model.firstSentenceDueMs;
        // Read whole, the first sentence waits for the stub's last byte, all of it the provider's time.
        if (o.ttsStream === "off") waitMs += wholeSentenceMs(MODEL_REPLY[0]);
        console.log(
          "model: fake OpenAI Chat Completions stream (bench/lib/fake-model.mjs, worker thread) at " +
            `${fakes.model.url}: ` +
            `first token ${MODEL_FIRST_TOKEN_MS} ms after the request, ${o.modelTps} tokens/s, reply ` +
            `"${MODEL_REPLY.join(" ")}" (${fakes.model.tokens} tokens; the first sentence's last due at ` +
            `${f1(fakes.model.firstSentenceDueMs)} ms)`,
        );
      }
      const llm = o.model ? fakeModelVars(fakes.model.url) : [];
      if (o.profile) profileSource = quietSource();
      server = await startDevServer({
        label: "voice-edge-stream",
        ...(o.profile ? { source: profileSource, inspector: true } : {}),
        vars: voiceEdgeVars(["STT_PROVIDERS=openai", `OPENAI_BASE_URL=${stub.url}`, ...tts, ...stt, ...llm]),
        migrate: true,
      });
      base = server.base;
    }
    const api = client(base);
    const { key } = await api.must("/api/v1/admin/keys", {
      method: "POST",
      token: o.url ? (process.env.ADMIN_TOKEN ?? "dev-admin-token-change-me") : ADMIN_TOKEN,
      json: {
        tenantId: `bench-stream-${Date.now()}`,
        scopes: ["calls:write", "calls:read", ...(o.model ? ["agents:write"] : [])],
      },
    });
    if (o.model) await putBenchAgent(api, key);
    const callBody = o.model ? { agent: BENCH_AGENT_ID } : {};
    console.log(`voice-edge ${base}${o.url ? " (given)" : ""}${stub ? `, STT stub ${stub.url}` : ""}`);
    if (o.sttStream)
      console.log(
        o.sttStream === "on"
          ? `STT: streaming, fake Deepgram /v1/listen at ${sttFake?.url} (end of turn ${FAKE_END_OF_TURN_MS} ms ` +
              "after the last speech frame; the batch stub is the fallback)"
          : `STT: batch (the endpointer's ${END_SILENCE_MS} ms of silence, then the stub)`,
      );
    // One warm-up stream: the first synthesis in an isolate loads the engine.
    await oneStream(api, base, key, fixture, 1, callBody);
    const modelSeen = (await fakes?.records())?.model.length ?? 0;
    // The client's own lateness (its timers and socket reads), which the figures include: printed, not taken out.
    const loop = monitorEventLoopDelay({ resolution: 10 });
    const lags = [];
    console.log("");
    console.log(
      `${"streams".padStart(7)}${"held".padStart(6)}${"frames/s".padStart(10)}` +
        `${"turns".padStart(7)}   ${`end of speech → first audio p50/p${high} ms`.padEnd(40)}` +
        `${(shareMode ? `own share (− ${f1(waitMs)} ms)` : "minus 600 ms endpointing").padEnd(26)}` +
        `${`server first audio p50/p${high}`.padEnd(28)}` +
        `${"STT / TTS p50 ms".padEnd(18)}${"clock shift max ms".padStart(19)}` +
        `${"short frames/turn".padStart(18)}   errors`,
    );
    const levels = [];
    const profiler = o.profile ? await startProfile(server.inspectorPort) : undefined;
    for (const n of o.streams) {
      loop.reset();
      loop.enable();
      const started = performance.now();
      const results = await Promise.all(
        Array.from({ length: n }, () =>
          oneStream(api, base, key, fixture, o.turns, callBody).catch((err) => ({
            ready: false,
            openAtEnd: false,
            framesSent: 0,
            turns: [],
            clockShiftMs: [],
            oddFrames: 0,
            errors: [err.message],
          })),
        ),
      );
      const seconds = (performance.now() - started) / 1000;
      loop.disable();
      lags.push(`${n}: ${f1(loop.percentile(99) / 1e6)} / ${f1(loop.max / 1e6)}`);
      const turns = results.flatMap((r) => r.turns);
      const e2e = turns
        .filter((t) => t.firstAudioAt !== undefined && t.speechEndAt !== undefined)
        .map((t) => t.firstAudioAt - t.speechEndAt)
        .sort((a, b) => a - b);
      const server = turns
        .map((t) => t.server?.firstAudioMs)
        .filter((v) => typeof v === "number")
        .sort((a, b) => a - b);
      const stt = turns
        .map((t) => t.server?.sttMs ?? NaN)
        .filter(Number.isFinite)
        .sort((a, b) => a - b);
      const tts = turns
        .map((t) => t.server?.ttsMs ?? NaN)
        .filter(Number.isFinite)
        .sort((a, b) => a - b);
      const shifts = results.flatMap((r) => r.clockShiftMs);
      const errors = results.flatMap((r) => r.errors);
      const held = results.filter((r) => r.ready && r.openAtEnd).length;
      levels.push({
        n,
        e2e,
        byTurn: byTurnIndex(turns, (t) => t.firstAudioAt - t.speechEndAt),
        serverByTurn: byTurnIndex(turns, (t) => t.server?.firstAudioMs ?? NaN),
      });
      const frames = results.reduce((a, r) => a + r.framesSent, 0);
      console.log(
        `${String(n).padStart(7)}${String(held).padStart(6)}${f1(frames / seconds).padStart(10)}` +
          `${String(turns.length).padStart(7)}   ${`${f1(pct(e2e, 50))} / ${f1(pct(e2e, high))}`.padEnd(40)}` +
          `${`${f1(pct(e2e, 50) - waitMs)} / ${f1(pct(e2e, high) - waitMs)}`.padEnd(26)}` +
          `${`${f1(pct(server, 50))} / ${f1(pct(server, high))}`.padEnd(28)}` +
          `${`${f1(pct(stt, 50))} / ${f1(pct(tts, 50))}`.padEnd(18)}` +
          `${f1(shifts.length ? Math.max(...shifts) : NaN).padStart(19)}` +
          `${f1(results.reduce((a, r) => a + r.oddFrames, 0) / Math.max(1, turns.length)).padStart(18)}   ` +
          `${errors.length ? `${errors.length}: ${[...new Set(errors)].slice(0, 3).join("; ")}` : "none"}`,
      );
    }
    if (profiler) {
      const turns = levels.reduce((a, l) => a + l.e2e.length, 0);
      printProfile(await profiler.stop(), `stream-${o.streams.join("-")}`, turns, "turn");
    }
    console.log("");
    console.log(
      "end of speech → first audio is measured by the client (the last loud frame sent → the first reply " +
        "frame received) and includes the endpointer's 600 ms of silence; 'server first audio' is the server's own " +
        "time from the end of the turn to its first reply frame (STT stub + NLP + the first sentence's synthesis). " +
        "The platform's share is the client figure minus 600 ms minus the server's STT and first-sentence TTS time.",
    );
    if (shareMode)
      console.log(
        `own share: the client's figure minus ${f1(waitMs)} ms, ` +
          (o.model
            ? `the fake model's ${f1(fakes.model.firstSentenceDueMs)} ms from the request to its first sentence's ` +
              `last token (first token at ${MODEL_FIRST_TOKEN_MS} ms), `
            : "") +
          (o.sttStream === "on"
            ? `the fake recogniser's end of turn (it counts its ${FAKE_END_OF_TURN_MS} ms in 10 ms blocks from the ` +
              "last loud one, so the figure is good to ±10 ms). "
            : `the endpointer's ${END_SILENCE_MS} ms of silence and the STT stub's ${o.delayMs} ms. `) +
          (o.ttsStream === "on"
            ? `The TTS stub's ${TTS_FIRST_BYTE_MS} ms to a sentence's first audio is taken out too.`
            : o.ttsStream === "off" && o.model
              ? `The stub's ${wholeSentenceMs(MODEL_REPLY[0])} ms to the first sentence's last byte (read whole: ` +
                `first audio at ${TTS_FIRST_BYTE_MS} ms, the rest in real time) is taken out too.`
              : o.ttsStream === "off"
                ? "It still holds the first sentence's whole synthesis by the stub (it speaks in real time)."
                : "It still holds the first sentence's synthesis by the embedded engine (server TTS column)."),
      );
    const perTurn = (key) =>
      levels.map((l) => `${l.n}: ${l[key].map((v) => `${f1(pct(v, 50))} / ${f1(pct(v, high))}`).join(", ")}`);
    if (o.turns > 1) {
      console.log(`by turn of the call (1st, 2nd...), p50 / p${high} ms, per level (streams: …):`);
      console.log(`  end of speech → first audio: ${perTurn("byTurn").join("; ")}`);
      console.log(`  server first audio: ${perTurn("serverByTurn").join("; ")}`);
    }
    console.log(`bench client's event loop delay p99 / max ms, per level (streams: …): ${lags.join("; ")}`);
    console.log(
      "clock shift: |the server's audio clock at speech_started − the audio the client had sent up to the " +
        "speech onset| (frames lost or reordered would shift it; the endpointer reports onsets to its 10 ms " +
        "frame, so ≤ 20 ms is exact). short frames/turn: reply frames under 20 ms; each sentence's audio ends " +
        "with one, so it equals the sentences a reply has (the default flow's replies: 2).",
    );
    if (o.model) {
      const { model, modelBad } = await fakes.records();
      const counted = model.slice(modelSeen);
      const own = counted.map((m) => m.firstSentenceAt - m.arrivedAt).sort((a, b) => a - b);
      console.log(
        `fake model: ${counted.length} requests after the warm-up (${counted.filter((m) => m.cancelled).length} ` +
          `cancelled, ${modelBad} refused), request → first sentence written p50/p95 ${f1(pct(own, 50))} / ` +
          `${f1(pct(own, 95))} ms (due ${f1(fakes.model.firstSentenceDueMs)})`,
      );
    }
    if (shareMode) {
      const at = (n) => levels.find((l) => l.n === n)?.e2e;
      const judge = (v, t) => (Number.isFinite(v) ? `${f1(v)} ms (${v <= t ? "within" : "above"})` : "not run");
      console.log(
        `targets (issue 18): voice to voice ≤ ${TARGETS.voiceP50At25} ms p50 at 25 streams: ` +
          `${judge(at(25) ? pct(at(25), 50) : NaN, TARGETS.voiceP50At25)}; own share ≤ ${TARGETS.ownP50At1} ms ` +
          `p50 at 1 stream: ${judge(at(1) ? pct(at(1), 50) - waitMs : NaN, TARGETS.ownP50At1)}; ≤ ` +
          `${TARGETS.ownP95At25} ms p95 at 25: ${judge(at(25) ? pct(at(25), 95) - waitMs : NaN, TARGETS.ownP95At25)}` +
          (o.model ? "" : " (without a model: --model on puts one in the path)"),
      );
    }
  } finally {
    await server?.stop();
    if (profileSource) rmSync(profileSource, { recursive: true, force: true });
    if (sttFake) console.log(`fake recogniser: ${JSON.stringify((await fakes.records()).sttStream)}`);
    await fakes?.close();
  }
}

function parseArgs(argv) {
  const o = { streams: [1, 10, 25], turns: 2, delayMs: 50, modelTps: 1000 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split("=", 2);
    const value = () => inline ?? argv[++i];
    if (flag === "--streams") o.streams = value().split(",").map(Number);
    else if (flag === "--turns") o.turns = Number(value());
    else if (flag === "--delay") o.delayMs = Number(value());
    else if (flag === "--url") o.url = value().replace(/\/$/, "");
    else if (flag === "--model-tps") o.modelTps = Number(value());
    else if (flag === "--profile") o.profile = true;
    else if (flag === "--model") {
      // A bare flag means on; an explicit on|off may follow.
      const next = inline ?? (["on", "off"].includes(argv[i + 1]) ? argv[++i] : "on");
      if (!["on", "off"].includes(next)) {
        console.error(`bench:stream: --model takes on or off, got ${next}`);
        process.exit(2);
      }
      o.model = next === "on";
    } else if (flag === "--stt-stream") {
      const next = inline ?? (["on", "off", "compare"].includes(argv[i + 1]) ? argv[++i] : "compare");
      if (!["on", "off", "compare"].includes(next)) {
        console.error(`bench:stream: --stt-stream takes on, off or compare, got ${next}`);
        process.exit(2);
      }
      o.sttStream = next;
    } else if (flag === "--tts-stream") {
      // A bare flag means on; an explicit on|off may follow (inline or as the next argument).
      const next = inline ?? (["on", "off"].includes(argv[i + 1]) ? argv[++i] : "on");
      if (!["on", "off"].includes(next)) {
        console.error(`bench:stream: --tts-stream takes on or off, got ${next}`);
        process.exit(2);
      }
      o.ttsStream = next;
    } else {
      console.error(
        "bench:stream: unknown option " +
          `${flag}; options: --streams --turns --delay --tts-stream --stt-stream --model --model-tps --url`,
      );
      process.exit(2);
    }
  }
  return o;
}

run(parseArgs(process.argv.slice(2))).catch((err) => {
  console.error(`bench:stream failed: ${err.message}`);
  process.exitCode = 1;
});
