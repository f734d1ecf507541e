#!/usr/bin/env node
// bench:agent — time to an agent's first reply audio, and voice-edge's share of it (issue 17).
// Starts, in a worker thread (bench/lib/fakes-thread.mjs), a fake language model (bench/lib/fake-model.mjs:
// OpenAI Chat Completions streaming with a fixed time to first token and token rate) and a fake TTS
// (bench/lib/fake-tts.mjs: OpenAI's /v1/audio/speech answering PCM after a fixed delay), then a local Worker
// of its own (bench/lib/dev-server.mjs) with LLM_PROVIDERS=openai and TTS_PROVIDERS=openai pointed at them
// and the speech cache off (TTS_CACHE_TTL_SECONDS=0, so every sentence reaches the fake TTS). It creates one
// agent and, at each concurrency, that many agent calls, each taking --turns text turns, streamed as
// Server-Sent Events (POST .../turns with Accept: text/event-stream) and, with --ws, over the call's
// WebSocket as well. A call's next turn comes once its reply's audio has played out and --pause ms ± 50%
// more, as a caller's would (--back-to-back: as soon as the turn is done, a stress test rather than 50
// callers), the calls' first turns spread over one such cycle. Per turn it measures, on one clock
// (fake-model.mjs clock()):
//   - first audio: from just before the turn request is sent to the arrival of its first `audio` event
//     (the WebSocket: its first binary frame);
//   - voice-edge's share: first audio minus the fake model's time from the request's arrival to the first
//     sentence's last token, minus the fake TTS's time from that sentence's request to its first byte (both
//     the fakes' own timestamps, per request; the turn's ref, in the caller's text and the model's first
//     sentence, matches them). What is left is the Worker's: the turn request to the model request, the
//     first sentence cut from the stream to its TTS request, and the TTS answer to the client's event;
//   - whether the first audio arrived before the model's last token was written (it must: sentences are
//     spoken while the model writes the next);
//   - the whole turn (to `done`, or `metrics` on the WebSocket), and the Worker's CPU a turn (/proc).
// Targets of issue 17, printed next to the figures and never asserted: the share ≤ 30 ms p50 at one call,
// ≤ 100 ms p95 at 50 calls.
// Usage: npm run bench:agent -- [--calls 1,10,50] [--turns 6] [--ws] [--back-to-back] [--pause 1000]
//                               [--first-token 300] [--tps 50] [--tts-delay 100] [--spread <ms>] [--seed 1]
/* global WebSocket -- Node 22 has a WHATWG WebSocket client built in */
import { randomBytes } from "node:crypto";
import { loadavg } from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { TextDecoder } from "node:util";
import { ADMIN_TOKEN, client } from "./lib/api.mjs";
import { BENCH_AGENT_ID as AGENT_ID, fakeModelVars, putBenchAgent } from "./lib/bench-agent.mjs";
import { sleep, startDevServer } from "./lib/dev-server.mjs";
import { clock, REF_WORD, REPLY } from "./lib/fake-model.mjs";
import { startFakesThread } from "./lib/fakes-thread.mjs";
import { f1, pct } from "./lib/load.mjs";
import { machineLines } from "./lib/machine.mjs";
import { voiceEdgeVars } from "./turns.mjs";
import { seeded } from "./lib/seeded.mjs";

export const TARGETS = { p50At1: 30, p95At50: 100 };
/** Worker log events worth a line under a level: a provider that failed or was slow, a fallback taken. */
const NOTABLE = /unavailable|failover|failed|error|breaker|fallback|timeout/;
const QUESTIONS = [
  "What is the balance on my account",
  "Can you tell me my balance again",
  "How much money do I have right now",
  "Please check my account balance",
];

/** A turn's ref for the fakes (fake-model.mjs REF_WORD): letters only, so no redaction rule touches it. */
let refs = 0;
export function nextRef() {
  let n = refs++;
  let s = "";
  do {
    s = String.fromCharCode(97 + (n % 26)) + s;
    n = Math.floor(n / 26);
  } while (n > 0);
  const ref = `zq${s.padStart(4, "a")}`;
  if (!REF_WORD.test(ref)) throw new Error(`bench:agent: ref ${ref} would not be found by the fakes`);
  return ref;
}

/** Server-Sent Events of a fetch response as {event, data, at}: `at` is when the chunk that completed it arrived. */
async function* sseFrames(res) {
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    const at = clock();
    buf += decoder.decode(value, { stream: true });
    for (let i = buf.indexOf("\n\n"); i >= 0; i = buf.indexOf("\n\n")) {
      const frame = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const event = /^event: (.*)$/m.exec(frame)?.[1] ?? "message";
      const data = frame
        .split("\n")
        .filter((l) => l.startsWith("data: "))
        .map((l) => l.slice(6))
        .join("\n");
      yield { event, data, at };
    }
  }
}

/** How long an `audio` event's sentence plays, ms: its base64 bytes less a WAV header, as 16-bit mono samples. */
function audioEventMs({ format, sampleRate, base64 }) {
  const bytes = Math.floor((base64.length * 3) / 4) - (base64.endsWith("==") ? 2 : base64.endsWith("=") ? 1 : 0);
  return (((format === "wav" ? bytes - 44 : bytes) / (format === "mulaw" ? 1 : 2) / sampleRate) * 1000) | 0;
}

/** One turn streamed over HTTP as Server-Sent Events. */
export async function sseTurn(base, key, callId, text) {
  const turn = { sentAt: clock(), audioMs: 0 };
  let res;
  try {
    res = await fetch(`${base}/api/v1/calls/${callId}/turns`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ text }),
      signal: AbortSignal.timeout(60_000),
    });
    if (!res.ok || !res.headers.get("content-type")?.startsWith("text/event-stream")) {
      turn.error = `${res.status} ${(await res.text()).slice(0, 200)}`;
      return turn;
    }
    for await (const { event, data, at } of sseFrames(res)) {
      if (event === "reply_delta") turn.firstDeltaAt ??= at;
      else if (event === "audio") {
        turn.firstAudioAt ??= at;
        turn.audioMs += audioEventMs(JSON.parse(data));
      } else if (event === "done") {
        turn.doneAt = at;
        const done = JSON.parse(data);
        turn.server = done.latencyMs;
        turn.degraded = done.degraded;
        turn.replyText = done.reply?.text;
      } else if (event === "error") turn.error = `error event: ${data.slice(0, 200)}`;
    }
    if (turn.doneAt === undefined && !turn.error) turn.error = "the stream ended without done";
  } catch (err) {
    turn.error = `${err.name}: ${err.message}`;
  }
  return turn;
}

/** A call's WebSocket stream: open, `start`, `ready`; then turn(text) per typed turn. */
export async function openStream(base, api, key, callId) {
  const { token } = await api.must(`/api/v1/calls/${callId}/stream-token`, { method: "POST", token: key });
  const ws = new WebSocket(
    `${base.replace(/^http/, "ws")}/api/v1/calls/${callId}/stream?token=${encodeURIComponent(token)}`,
  );
  ws.binaryType = "arraybuffer";
  let current = null;
  let readyAt;
  const errors = [];
  const ready = new Promise((res, rej) => {
    ws.onerror = () => rej(new Error("websocket error"));
    ws.onclose = (e) => rej(new Error(`websocket closed (${e.code}) before ready`));
    ws.onmessage = (e) => {
      const at = clock();
      if (typeof e.data !== "string") {
        if (current) {
          current.turn.firstAudioAt ??= at;
          current.turn.audioMs += (e.data.byteLength / 2 / 16000) * 1000; // pcm16 at 16 kHz, as `start` asked
        }
        return;
      }
      const m = JSON.parse(e.data);
      if (m.type === "ready") {
        readyAt = at;
        res();
      } else if (m.type === "error") {
        errors.push(`${m.code}: ${m.detail}`.slice(0, 200));
        if (current) current.finish(`${m.code}: ${m.detail}`.slice(0, 200));
      } else if (current) {
        if (m.type === "reply_delta") current.turn.firstDeltaAt ??= at;
        else if (m.type === "metrics") {
          current.turn.doneAt = at;
          current.turn.server = { firstAudioMs: m.firstAudioMs, nlp: m.nlpMs, tts: m.ttsMs };
          current.finish();
        }
      }
    };
  });
  await new Promise((res, rej) => ((ws.onopen = res), (ws.onerror = () => rej(new Error("websocket error")))));
  ws.send(JSON.stringify({ type: "start", format: "pcm16", sampleRate: 16000 }));
  await ready;
  ws.onclose = () => current?.finish("the stream closed during the turn");
  return {
    readyAt,
    errors,
    turn(text) {
      return new Promise((resolve) => {
        const turn = { sentAt: clock(), audioMs: 0 };
        const timer = setTimeout(() => current?.finish("no metrics within 60 s"), 60_000);
        current = {
          turn,
          finish: (error) => {
            clearTimeout(timer);
            if (error) turn.error = error;
            current = null;
            resolve(turn);
          },
        };
        ws.send(JSON.stringify({ type: "text", text }));
      });
    },
    async stop() {
      const closed = new Promise((res) => ws.addEventListener("close", res, { once: true }));
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "stop" }));
      await Promise.race([closed, sleep(5000)]);
    },
  };
}

/** At most `limit` of fn(0..n-1) at a time (setting calls up must not be the load). */
async function inBatches(n, limit, fn) {
  const out = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, limit) }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await fn(i);
      }
    }),
  );
  return out;
}

/**
 * The Worker's CPU (bench/lib/proc-cpu.mjs) while at least one turn is in flight, and for how long: paced calls
 * leave it idle most of the time, and at one call that idle time, less a rate measured apart, would swamp the
 * turns' own CPU (/proc counts in 10 ms ticks). A busy window closes 100 ms after its last turn's end, for what
 * the Worker does after the answer (its log lines).
 */
function busyCpu(server) {
  let inFlight = 0;
  let closing = null;
  let since = 0;
  let cpuAt = 0;
  let seconds = 0;
  let busyMs = 0;
  const unavailable = server.cpuSeconds() === null;
  const close = () => {
    closing = null;
    seconds += server.cpuSeconds() - cpuAt;
    busyMs += clock() - since;
  };
  return {
    begin() {
      if (inFlight++ > 0 || unavailable) return;
      if (closing) {
        clearTimeout(closing);
        closing = null;
      } else {
        since = clock();
        cpuAt = server.cpuSeconds();
      }
    },
    end() {
      if (--inFlight === 0 && !unavailable) closing = setTimeout(close, 100);
    },
    async total() {
      if (unavailable) return null;
      while (closing) await sleep(20);
      return { seconds, busyS: busyMs / 1000 };
    },
  };
}

/**
 * One concurrency level: `calls` agent calls created (and their streams opened) first, then all take their
 * turns. Paced (the default), a call's next turn comes when its caller has heard the reply (its first audio's
 * arrival + the reply audio's length) and a pause more, as on a phone; `backToBack`, a pause after the turn
 * is done (none by default). The pause is `pauseMs` ± 50%, drawn per turn, and the calls' first turns are
 * spread evenly over `spreadMs` (by default one turn's whole cycle): calls whose cycles are all alike would
 * otherwise stay bunched, every turn of the level at once, which no 50 real callers do.
 */
async function level(ctx, calls, transport, overrides = {}) {
  const { api, base, key } = ctx;
  const o = { ...ctx.o, ...overrides };
  const rng = seeded(o.seed * 1000 + calls); // the pauses differ between calls but not between runs
  const pauseMs = o.pauseMs ?? (o.backToBack ? 0 : 1000);
  const ids = await inBatches(calls, 8, async () => {
    const r = await api.must("/api/v1/calls", { method: "POST", token: key, json: { agent: AGENT_ID } });
    return r.callId;
  });
  const streams = transport === "ws" ? await inBatches(calls, 8, (i) => openStream(base, api, key, ids[i])) : undefined;
  ctx.events.clear();
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const busy = busyCpu(ctx.server);
  const started = clock();
  const turns = (
    await Promise.all(
      ids.map(async (callId, i) => {
        await sleep((i * o.spreadMs) / calls);
        const mine = [];
        for (let t = 0; t < o.turns; t++) {
          const ref = nextRef();
          const text = `${QUESTIONS[(i + t) % QUESTIONS.length]}, ref ${ref}?`;
          busy.begin();
          const turn = streams ? await streams[i].turn(text) : await sseTurn(base, key, callId, text);
          busy.end();
          mine.push({ ...turn, ref, call: i });
          if (t === o.turns - 1) break;
          const heard = o.backToBack || turn.firstAudioAt === undefined ? 0 : turn.firstAudioAt + turn.audioMs;
          await sleep(Math.max(0, heard - clock()) + pauseMs * (0.5 + rng()));
        }
        return mine;
      }),
    )
  ).flat();
  const seconds = (clock() - started) / 1000;
  const cpu = await busy.total();
  loop.disable();
  if (streams) await Promise.all(streams.map((s) => s.stop()));
  else await inBatches(calls, 8, (i) => api.request(`/api/v1/calls/${ids[i]}/end`, { method: "POST", token: key }));
  const { model, tts } = await ctx.fakes.records();
  const events = Object.fromEntries(ctx.events);
  return summarize(ctx, { calls, transport, turns, seconds, cpu, loop, model, tts, events });
}

const sorted = (xs) => xs.filter(Number.isFinite).sort((a, b) => a - b);

function summarize(ctx, r) {
  const byRef = new Map(r.model.filter((m) => m.ref).map((m) => [m.ref, m]));
  // A turn's first sentence is the first TTS request that carries its ref.
  const ttsByRef = new Map();
  for (const t of r.tts) if (t.ref && !ttsByRef.has(t.ref)) ttsByRef.set(t.ref, t);
  const ok = r.turns.filter((t) => !t.error && t.firstAudioAt !== undefined);
  const rows = ok.map((t) => {
    const m = byRef.get(t.ref);
    const s = ttsByRef.get(t.ref);
    const firstAudio = t.firstAudioAt - t.sentAt;
    const modelFirstSentence = m ? m.firstSentenceAt - m.arrivedAt : NaN;
    const ttsOwn = s ? s.firstByteAt - s.arrivedAt : NaN;
    return {
      firstAudio,
      modelFirstSentence,
      ttsOwn,
      share: firstAudio - modelFirstSentence - ttsOwn,
      // The share in three parts, each between two timestamps of the client's and the fakes'.
      toModel: m ? m.arrivedAt - t.sentAt : NaN,
      toTts: m && s ? s.arrivedAt - m.firstSentenceAt : NaN,
      ttsToClient: s ? t.firstAudioAt - s.firstByteAt : NaN,
      beforeLastToken: m ? t.firstAudioAt < m.lastTokenAt : undefined,
      marginToLastToken: m ? m.lastTokenAt - t.firstAudioAt : NaN,
      total: t.doneAt - t.sentAt,
      matched: Boolean(m && s),
    };
  });
  const col = (k) => sorted(rows.map((x) => x[k]));
  const errors = r.turns.filter((t) => t.error).map((t) => t.error);
  const noAudio = r.turns.filter((t) => !t.error && t.firstAudioAt === undefined).length;
  const degraded = r.turns.filter((t) => t.degraded?.length).map((t) => t.degraded.join("+"));
  return {
    calls: r.calls,
    transport: r.transport,
    turns: r.turns.length,
    ok: ok.length,
    unmatched: rows.filter((x) => !x.matched).length,
    errors,
    noAudio,
    degraded,
    turnsPerSecond: r.turns.length / r.seconds,
    firstAudio: col("firstAudio"),
    modelFirstSentence: col("modelFirstSentence"),
    ttsOwn: col("ttsOwn"),
    share: col("share"),
    toModel: col("toModel"),
    toTts: col("toTts"),
    ttsToClient: col("ttsToClient"),
    margin: col("marginToLastToken"),
    beforeLastToken: rows.filter((x) => x.beforeLastToken === true).length,
    total: col("total"),
    // Less what the Worker's processes burn while idle (timers, wrangler's polling) over the same time.
    cpuMs: r.cpu && ok.length ? ((r.cpu.seconds - ctx.idleCpuPerSecond * r.cpu.busyS) * 1000) / ok.length : NaN,
    loopP99: r.loop.percentile(99) / 1e6,
    audioMs: sorted(ok.map((t) => t.audioMs)),
    events: r.events,
    // The machine's 1-minute load average at the level's end: other work on it shows here.
    load: loadavg()[0],
  };
}

const pair = (xs) => `${f1(pct(xs, 50))} / ${f1(pct(xs, 95))}`;

/** The table's columns: header, width, and the cell of a level's summary. */
const COLUMNS = [
  ["via", 4, (s) => s.transport],
  ["calls", 6, (s) => String(s.calls)],
  ["turns ok", 9, (s) => `${s.ok}/${s.turns}`],
  ["turns/s", 8, (s) => f1(s.turnsPerSecond)],
  ["first audio", 16, (s) => pair(s.firstAudio)],
  ["model 1st sent.", 16, (s) => pair(s.modelFirstSentence)],
  ["TTS own", 14, (s) => pair(s.ttsOwn)],
  ["ours", 14, (s) => pair(s.share)],
  ["↳ to model", 14, (s) => pair(s.toModel)],
  ["↳ to TTS", 14, (s) => pair(s.toTts)],
  ["↳ TTS → client", 14, (s) => pair(s.ttsToClient)],
  ["before last token", 18, (s) => `${s.beforeLastToken}/${s.ok}, ≥ ${f1(s.margin[0])}`],
  ["turn", 16, (s) => pair(s.total)],
  ["CPU ms", 7, (s) => f1(s.cpuMs)],
  ["loop p99", 8, (s) => f1(s.loopP99)],
  ["load", 4, (s) => s.load.toFixed(2)],
];
const row = (cells) => cells.map((c, i) => c.padEnd(COLUMNS[i][1])).join("  ");

function printLevel(s) {
  console.log(row(COLUMNS.map(([, , cell]) => cell(s))));
  const problems = [];
  if (s.errors.length) problems.push(`${s.errors.length} failed: ${[...new Set(s.errors)].slice(0, 3).join("; ")}`);
  if (s.noAudio) problems.push(`${s.noAudio} turns without audio`);
  if (s.unmatched) problems.push(`${s.unmatched} turns not found at the fake model or TTS (ref lost)`);
  if (s.degraded.length) problems.push(`degraded: ${[...new Set(s.degraded)].join(", ")} ×${s.degraded.length}`);
  if (s.beforeLastToken < s.ok)
    problems.push(`${s.ok - s.beforeLastToken} turns had no audio before the model's last token`);
  const events = Object.entries(s.events).map(([e, { n, message }]) => `${e} ×${n}${message ? ` (${message})` : ""}`);
  if (events.length) problems.push(`Worker log: ${events.join(", ")}`);
  for (const p of problems) console.log(`        ${p}`);
}

async function run(o) {
  console.log(`voice-edge bench (agent), ${new Date().toISOString()}`);
  for (const line of machineLines()) console.log(line);
  const fakes = await startFakesThread({
    model: { firstTokenMs: o.firstTokenMs, tokensPerSecond: o.tokensPerSecond },
    tts: { delayMs: o.ttsDelayMs },
  });
  const { model, tts } = fakes;
  console.log(
    `parameters: calls ${o.calls.join(", ")}; ${o.turns} text turns a call ("${QUESTIONS[0]}, ref <id>?"), ` +
      (o.backToBack
        ? `back to back (each ${o.pauseMs ?? 0} ms after the last is done)`
        : "paced: the next once the reply's audio has played out (first audio + its length) and " +
          `${o.pauseMs ?? 1000} ms ± 50% more`) +
      `; transports: SSE${o.ws ? " and WebSocket" : ""}`,
  );
  console.log(
    `fake model (bench/lib/fake-model.mjs, in a worker thread): OpenAI Chat Completions stream, first token ` +
      `${o.firstTokenMs} ms after the request, ${o.tokensPerSecond} tokens/s (a token = a word with its leading ` +
      `space), reply ${model.tokens} tokens in ${REPLY.length} sentences, the first ${model.firstSentenceTokens} ` +
      `tokens (due at ${f1(model.firstSentenceDueMs)} ms, last token at ${f1(model.lastTokenDueMs)} ms)`,
  );
  console.log(
    `fake TTS (bench/lib/fake-tts.mjs, same thread): OpenAI /v1/audio/speech, answers ${o.ttsDelayMs} ms ` +
      "after the request (24 kHz PCM, resampled by the Worker to 16 kHz per sentence); TTS_CACHE_TTL_SECONDS=0",
  );
  const events = new Map();
  let server;
  try {
    server = await startDevServer({
      label: "voice-edge-agent",
      vars: voiceEdgeVars([
        "TTS_PROVIDERS=openai",
        `OPENAI_BASE_URL=${tts.url}`,
        "TTS_CACHE_TTL_SECONDS=0",
        ...fakeModelVars(model.url),
      ]),
      migrate: true,
      // The Worker's own account of trouble (a TTS or model that did not answer in time, a failover).
      onLine: (line) => {
        const event = /"event":"([a-z_]+)"/.exec(line)?.[1];
        if (!event || !NOTABLE.test(event)) return;
        const seen = events.get(event) ?? { n: 0, message: /"message":"((?:[^"\\]|\\.){0,160})/.exec(line)?.[1] };
        events.set(event, { ...seen, n: seen.n + 1 });
      },
    });
    const api = client(server.base);
    const { key } = await api.must("/api/v1/admin/keys", {
      method: "POST",
      token: ADMIN_TOKEN,
      json: {
        tenantId: `bench-agent-${randomBytes(4).toString("hex")}`,
        scopes: ["calls:write", "calls:read", "agents:write"],
      },
    });
    await putBenchAgent(api, key);
    console.log(`voice-edge ${server.base}, fake model ${model.url}, fake TTS ${tts.url}; agent ${AGENT_ID}`);
    const ctx = { api, base: server.base, key, o, fakes, server, events, idleCpuPerSecond: 0 };

    // Warm-up, not counted: the first turns of an isolate compile and load what the later ones reuse.
    const warm = await level(ctx, 2, "sse", { turns: 2, backToBack: true, pauseMs: 0, spreadMs: 0 });
    if (!warm.ok)
      throw new Error(
        `the warm-up turns failed: ${warm.errors.slice(0, 2).join("; ") || "no audio"}; last Worker lines:\n` +
          server.logTail.slice(-15).join("\n"),
      );
    if (o.ws) await level(ctx, 1, "ws", { turns: 2, backToBack: true, pauseMs: 0, spreadMs: 0 });
    // Over 10 s: /proc counts CPU in 10 ms ticks per process.
    const idleBefore = server.cpuSeconds();
    await sleep(10_000);
    ctx.idleCpuPerSecond = idleBefore === null ? 0 : (server.cpuSeconds() - idleBefore) / 10;
    // One call's cycle: its turn, then (paced) the reply's audio, then the pause.
    const cycleMs =
      pct(warm.total, 50) + (o.backToBack ? (o.pauseMs ?? 0) : pct(warm.audioMs, 50) + (o.pauseMs ?? 1000));
    o.spreadMs ??= Math.round(cycleMs);
    console.log(
      `reply audio a turn: ${f1(pct(warm.audioMs, 50) / 1000)} s; a call's cycle ${f1(cycleMs / 1000)} s, the ` +
        `calls' first turns spread over ${f1(o.spreadMs / 1000)} s; the Worker's processes idle: ` +
        `${f1(ctx.idleCpuPerSecond * 1000)} ms of CPU a second`,
    );

    console.log("");
    console.log("times in ms, p50 / p95 unless named (what each column is: below the table)");
    console.log(row(COLUMNS.map(([h]) => h)));
    const results = [];
    for (const calls of o.calls) {
      for (const transport of o.ws ? ["sse", "ws"] : ["sse"]) {
        const s = await level(ctx, calls, transport);
        results.push(s);
        printLevel(s);
      }
    }
    console.log("");
    const legend = [
      "all on one clock (the fakes' thread and the client's); p50 / p95 over the level's turns:",
      "  first audio        turn request sent → its first `audio` event received (WebSocket: its first binary frame)",
      "  model 1st sent.    the fake model's own time: the request read → the first sentence's last token written",
      "  TTS own            the fake TTS's own time for that sentence: the request read → its answer's first byte",
      "  ours               first audio − model 1st sent. − TTS own: voice-edge's share, the sum of:",
      "  ↳ to model         turn request sent → the model request read by the fake",
      "  ↳ to TTS           the first sentence's last token written → its TTS request read by the fake",
      "  ↳ TTS → client     the TTS answer's first byte written → first audio received",
      "  before last token  turns whose first audio arrived before the model wrote its last token; the smallest margin",
      "  turn               turn request sent → `done` (WebSocket: `metrics`)",
      "  CPU ms             the Worker's processes (workerd, wrangler's Node) a turn, from /proc while turns were in " +
        "flight, less their idle rate",
      "  loop p99           the client thread's event-loop delay",
      "  load               the machine's 1-minute load average as the level ended (2 cores: above 2, work waits)",
    ];
    for (const line of legend) console.log(line);
    for (const transport of o.ws ? ["sse", "ws"] : ["sse"]) {
      const at = (n) => results.find((s) => s.calls === n && s.transport === transport);
      const one = at(1);
      const fifty = at(50);
      const judge = (v, t) => (Number.isFinite(v) ? (v <= t ? "within" : "above") : "not measured");
      console.log(
        `target (issue 17), ${transport}: ours ≤ ${TARGETS.p50At1} ms p50 at 1 call: ` +
          `${one ? `${f1(pct(one.share, 50))} ms (${judge(pct(one.share, 50), TARGETS.p50At1)})` : "not run"}; ` +
          `ours ≤ ${TARGETS.p95At50} ms p95 at 50 calls: ` +
          `${fifty ? `${f1(pct(fifty.share, 95))} ms (${judge(pct(fifty.share, 95), TARGETS.p95At50)})` : "not run"}`,
      );
    }
    const late = results.reduce((a, s) => a + (s.ok - s.beforeLastToken), 0);
    const all = results.reduce((a, s) => a + s.ok, 0);
    console.log(
      late
        ? `first audio before the model's last token: NOT for ${late} of ${all} turns`
        : `first audio before the model's last token: yes, for all ${all} turns`,
    );
    const { modelBad, ttsBad } = await fakes.records();
    if (modelBad) console.log(`the fake model refused ${modelBad} malformed requests`);
    if (ttsBad) console.log(`the fake TTS refused ${ttsBad} malformed requests`);
  } finally {
    await server?.stop();
    await fakes.close();
  }
}

function parseArgs(argv) {
  const o = {
    calls: [1, 10, 50],
    turns: 6,
    ws: false,
    backToBack: false,
    firstTokenMs: 300,
    tokensPerSecond: 50,
    ttsDelayMs: 100,
    pauseMs: undefined, // paced: 1000 ms after the reply's audio; back to back: 0 after the turn
    spreadMs: undefined, // one call's cycle, measured in the warm-up
    seed: 1,
  };
  const numbers = {
    "--turns": "turns",
    "--first-token": "firstTokenMs",
    "--tps": "tokensPerSecond",
    "--tts-delay": "ttsDelayMs",
    "--pause": "pauseMs",
    "--spread": "spreadMs",
    "--seed": "seed",
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split("=", 2);
    const value = () => inline ?? argv[++i];
    if (flag === "--calls") o.calls = value().split(",").map(Number);
    else if (flag === "--ws") o.ws = true;
    else if (flag === "--back-to-back") o.backToBack = true;
    else if (numbers[flag]) o[numbers[flag]] = Number(value());
    else {
      console.error(
        `bench:agent: unknown option ${flag}; options: --calls --ws --back-to-back ${Object.keys(numbers).join(" ")}`,
      );
      process.exit(2);
    }
  }
  return o;
}

if (import.meta.url === `file://${process.argv[1]}`)
  run(parseArgs(process.argv.slice(2))).catch((err) => {
    console.error(`bench:agent failed: ${err.message}`);
    process.exitCode = 1;
  });
