#!/usr/bin/env node
// Does voice-edge keep answering when its speech-to-text providers misbehave? Measured end to end.
//
// Usage: npm run bench:faults -- [turns] [--scenario failover|single] [--concurrency 4] [--rate 2]
//                                [--seeds 1,2,3 | --seed 42] [--fault-rate 0.4] [--outage 80-140]
//                                [--fault-rate-b 0.1] [--outage-b 100-130] [--fault-rate-dg 0.05]
//                                [--outage-dg 150-160] [--control-every 5] [--cap 300] [--verbose]
//
// The scenario below runs once per seed (default 1, 2 and 3), each with fresh fault servers seeded
// from it and a fresh Worker (so no breaker carries over). After each run, and together at the end:
//   faults seed=1 audio_turns=200 ok=199 share=99.5% late_503=0
// audio_turns: audio turns answered (not cut off by a stop); ok: answered 200; late_503: 503s to
// audio turns sent more than 2 s after the latest outage ended while no outage was under way (every
// server healthy again, apart from its random faults). Target: share ≥ 99% and late_503 = 0 in
// every seed; the exit status is 1 when a seed misses it.
//
// 1. Starts seeded fault-injecting STT servers (bench/fault-provider.mjs) on 127.0.0.1. Each fails
//    its own share of requests with 500, 429 (Retry-After: 1), a hang, a slow answer (4 s),
//    malformed JSON or a reset connection, and has a total outage (all 500) on a window of audio
//    turns. The default scenario, "failover", starts three (bench/faults-options.mjs):
//      A   an OpenAI-compatible region answering in 60 ms: 40% faults, outage on turns 80-139;
//      B   a second OpenAI-compatible region, 150 ms: 10% faults, outage on turns 100-129;
//      dg  a self-hosted Deepgram (the /v1/listen wire format), 350 ms: 5% faults, outage on turns 150-159.
//    So turns meet, in order: faults on A (retries, failover to region B), A down, both OpenAI
//    regions down (only the next provider, Deepgram, can answer), A back, then Deepgram down while
//    both OpenAI regions are up (failover back to OpenAI). Which one is tried first for a turn is
//    the worker's choice (src/routing/order.ts: distance, observed latency, load, breaker state,
//    then the configured order), so the report shows who served each phase and every in-turn
//    failover. "--scenario single" starts one OpenAI-compatible server only (no failover).
// 2. Starts the Worker locally (bench/lib/dev-server.mjs: workerd via wrangler's unstable_startWorker,
//    DevTools inspector off) on a free port with STT_PROVIDERS=openai,deepgram, OPENAI_BASE_URLS
//    listing A and B, and DEEPGRAM_BASE_URL pointing at dg (single: STT_PROVIDERS=openai,
//    OPENAI_BASE_URL). It runs a copy of the source taken at the start (so edits made meanwhile do
//    not restart it and reset its breakers), its settings come from a generated env file (so the
//    developer's .dev.vars is not read) and its state from a temporary persist directory (so
//    .wrangler/state is not touched); the D1 migrations are applied there first (bench/lib/dev-server.mjs).
// 3. Posts `turns` audio turns (test/fixtures/audio/balance-16k.wav, ?reply=text) from `concurrency`
//    callers, paced at `rate` turns per second (0 = no pacing), a new call every 20 audio turns, and a
//    text or keypad turn after every `control-every` audio turns of a caller.
// 4. Meanwhile polls GET /api/v1/providers each second for every provider-region's breaker, and reads
//    the worker's own `provider_breaker`, `stt_failover` (a turn that needed more than one provider
//    call: retries and failovers, with provider, region and attempts) and `stt_unavailable` log lines.
// 5. Prints success rate per turn kind, p50/p95/p99 latency, the turns each provider-region served,
//    the failovers, the 503s and their Retry-After, and the breaker transitions per provider-region
//    (bench/faults-report.mjs), then stops everything it started (also on errors, Ctrl-C and the
//    `cap`, which bounds each seed's run).
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, sleep, startDevServer } from "./lib/dev-server.mjs";
import { jsonOrUndefined } from "./lib/api.mjs";
import { startFaultProviders } from "./fault-provider.mjs";
import { parseArgs, scenarioServers, workerVars } from "./faults-options.mjs";
import { LATE_503_AFTER_S, report, seedLine, seedSummary } from "./faults-report.mjs";
import { machineLines } from "./lib/machine.mjs";

const AUDIO = readFileSync(join(ROOT, "test", "fixtures", "audio", "balance-16k.wav"));
const ADMIN_TOKEN = "bench-admin-token-0123456789";
const TURNS_PER_CALL = 20;
const TURN_TIMEOUT_MS = 30_000; // the server's STT deadline for this clip is about 11 s
const CONTROL_TURNS = [{ text: "what is my balance" }, { dtmf: "1" }];

let opts;
try {
  opts = parseArgs(process.argv.slice(2));
} catch (err) {
  console.error(`bench:faults: ${err.message} (--help for usage)`);
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------- helpers
const t0 = performance.now();
const since = () => (performance.now() - t0) / 1000;

// ---------------------------------------------------------------------------------------------- lifecycle
const quit = new AbortController(); // Ctrl-C: no further seeds
let stop = new AbortController(); // this seed's run: its cap, Ctrl-C, or a fatal error stop sending turns
let devServer; // our local Worker (bench/lib/dev-server.mjs): a snapshot of the source, its own env file and state
let servers = []; // the fault servers: { label, provider, faultRate, outage, seed, server, region, window }
let poller;
let capTimer;
let stopReason; // why the run stopped early, if it did
const logTail = [];
const workerEvents = []; // JSON log lines of interest from the worker, with their arrival time
let workerReloads = 0; // restarts of the worker during the run (each one forgets the breakers)

let cleaning; // this seed's clean-up, once started
function cleanup() {
  cleaning ??= (async () => {
    stop.abort();
    clearInterval(poller);
    clearTimeout(capTimer);
    await devServer?.stop();
    await Promise.all(servers.map((s) => s.server.close().catch(() => {})));
  })();
  return cleaning;
}
// First Ctrl-C: stop sending turns, report what was measured, clean up. Second one (or 15 s later): just clean up.
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    if (quit.signal.aborted) return void cleanup().then(() => process.exit(130));
    console.error(`\n${sig}: stopping (again to quit at once)...`);
    stopReason ??= sig;
    quit.abort();
    stop.abort();
    setTimeout(() => void cleanup().then(() => process.exit(130)), 15_000).unref();
  });
}

function remember(line) {
  const clean = line; // bench/lib/dev-server.mjs strips the colours
  logTail.push(clean);
  if (logTail.length > 60) logTail.shift();
  if (opts.verbose) console.error(`[worker] ${clean}`);
  if (/reloading local server/i.test(clean)) workerReloads++;
  const brace = clean.indexOf('{"event":"');
  if (brace < 0) return;
  try {
    const event = JSON.parse(clean.slice(brace));
    if (event.event === "provider_breaker" || event.event === "stt_unavailable" || event.event === "stt_failover")
      workerEvents.push({ at: since(), ...event });
  } catch {
    // not one of ours
  }
}

// ---------------------------------------------------------------------------------------------- HTTP
let base;
async function request(
  path,
  { method = "GET", token, json, body, contentType, timeoutMs = 10_000, abortable = true } = {},
) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (json !== undefined) headers["content-type"] = "application/json";
  if (contentType) headers["content-type"] = contentType;
  const started = performance.now();
  try {
    const res = await fetch(base + path, {
      method,
      headers,
      body: json !== undefined ? JSON.stringify(json) : body,
      signal: abortable
        ? AbortSignal.any([AbortSignal.timeout(timeoutMs), stop.signal])
        : AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    return {
      status: res.status,
      ms: performance.now() - started,
      data: jsonOrUndefined(text),
      text,
      requestId: res.headers.get("x-request-id"),
      retryAfter: res.headers.get("retry-after"),
    };
  } catch (err) {
    if (stop.signal.aborted && err.name === "AbortError")
      return { status: 0, ms: performance.now() - started, cut: true, error: "cut off by the stop" };
    return {
      status: 0,
      ms: performance.now() - started,
      error:
        err.name === "TimeoutError"
          ? `client timeout after ${timeoutMs} ms`
          : `${err.name}: ${err.cause?.code ?? err.message}`,
    };
  }
}

async function must(label, promise) {
  const r = await promise;
  if (r.status < 200 || r.status >= 300)
    throw new Error(`${label}: ${r.status || r.error} ${r.text?.slice(0, 300) ?? ""}`);
  return r.data;
}

// ---------------------------------------------------------------------------------------------- one seed
/** One run of the scenario with fault servers seeded from `seed`; its figures, or undefined when it failed. */
async function runSeed(seed) {
  stop = new AbortController();
  cleaning = undefined;
  devServer = undefined;
  servers = [];
  stopReason = quit.signal.aborted ? "SIGINT" : undefined;
  logTail.length = 0;
  workerEvents.length = 0;
  workerReloads = 0;
  if (quit.signal.aborted) stop.abort();
  console.log(`\n##### seed ${seed}`);
  capTimer = setTimeout(() => {
    console.error(`\nthe cap of ${opts.cap} s for this seed reached: stopping`);
    stopReason ??= `the cap of ${opts.cap} s`;
    stop.abort();
  }, opts.cap * 1000);
  try {
    return await main({ ...opts, seed });
  } catch (err) {
    console.error(`\nbench:faults failed (seed ${seed}): ${err.message}`);
    if (logTail.length) console.error(`last lines of the Worker:\n${logTail.slice(-15).join("\n")}`);
    return undefined;
  } finally {
    await cleanup();
  }
}

// ---------------------------------------------------------------------------------------------- main
async function main(opts) {
  const seedStartS = since();
  const profiles = scenarioServers(opts);
  const started = await startFaultProviders(
    profiles.map((p) => ({ name: p.label, seed: p.seed, faultRate: p.faultRate, latencyMs: p.latencyMs })),
  );
  servers = profiles.map((p, i) => ({ ...p, server: started[i], region: `127.0.0.1:${started[i].port}`, window: {} }));
  for (const s of servers) {
    console.log(
      `fault server ${s.label.padEnd(6)} ${s.provider}@${s.region}: answers in ` +
        `${s.latencyMs} ms, ${Math.round(s.faultRate * 100)}% faults, ` +
        `${s.outage ? `outage on audio turns ${s.outage[0]}–${s.outage[1] - 1}` : "no outage"}`,
    );
  }

  console.log("starting the Worker (D1 migrations applied in a temporary state directory first) ...");
  devServer = await startDevServer({
    label: "faults",
    vars: [
      `ADMIN_TOKEN=${ADMIN_TOKEN}`,
      `ARCHIVE_KEYS=bench:${randomBytes(32).toString("base64")}`,
      ...workerVars(servers),
    ],
    migrate: true,
    onLine: remember,
    signal: stop.signal,
  });
  base = devServer.base;
  devServer.child.once("exit", (code, signal) => {
    if (!cleaning) {
      console.error(
        `the Worker's process exited early (${code ?? signal}); last lines:\n${logTail.slice(-20).join("\n")}`,
      );
      stopReason ??= "the Worker's process exiting";
      stop.abort();
    }
  });
  console.log(`the Worker on ${base}`);
  console.log(`ready after ${(since() - seedStartS).toFixed(1)} s`);

  // The worker must have built exactly the chain we configured, in that order.
  const providers = await must("GET /api/v1/providers", request("/api/v1/providers", { token: ADMIN_TOKEN }));
  const chain = providers.chains.stt;
  const built = chain.providers.map((p) => `${p.name}@${p.region}`).join(", ");
  const wanted = servers.map((s) => `${s.provider}@${s.region}`).join(", ");
  if (chain.problem || built !== wanted)
    throw new Error(`unexpected STT chain: ${JSON.stringify(chain)} (wanted ${wanted})`);
  console.log(`STT chain: ${built}`);
  const { key } = await must(
    "POST /api/v1/admin/keys",
    request("/api/v1/admin/keys", {
      method: "POST",
      token: ADMIN_TOKEN,
      json: { tenantId: "bench-faults", scopes: ["calls:write", "calls:read"] },
    }),
  );
  // Warm the isolate with a text turn (the first request of a fresh isolate is slow); no STT call.
  const warm = await must(
    "POST /api/v1/calls",
    request("/api/v1/calls?reply=text", { method: "POST", token: key, json: { userId: "warmup" } }),
  );
  await must(
    "warm-up turn",
    request(`/api/v1/calls/${warm.callId}/turns?reply=text`, { method: "POST", token: key, json: CONTROL_TURNS[0] }),
  );
  await request(`/api/v1/calls/${warm.callId}/end`, { method: "POST", token: key });
  if (servers.some((s) => s.server.stats().requests !== 0))
    throw new Error("a fault server was called before the run started");

  // Breaker polling: state changes of every provider-region as GET /api/v1/providers reports them.
  const polled = { samples: 0, failures: 0, transitions: [], last: {}, maxErrorRate: {}, latencyMs: {} };
  const poll = async () => {
    const r = await request("/api/v1/providers", { token: ADMIN_TOKEN, timeoutMs: 2000, abortable: false });
    if (r.status !== 200) return void polled.failures++;
    polled.samples++;
    for (const h of r.data.health) {
      const id = `${h.provider}@${h.region}`;
      if (h.latencyMs !== undefined) (polled.latencyMs[id] ??= []).push(h.latencyMs);
      polled.maxErrorRate[id] = Math.max(polled.maxErrorRate[id] ?? 0, h.errorRate ?? 0);
      const last = polled.last[id] ?? "closed";
      if (h.state !== last) polled.transitions.push({ at: since(), id, from: last, to: h.state });
      polled.last[id] = h.state;
    }
  };
  poller = setInterval(() => void poll(), 1000);

  // The callers.
  const turns = [];
  const controls = [];
  const calls = { created: 0, ended: 0, failedToCreate: 0 };
  let next = 0;
  let highestSent = -1;
  const runStart = performance.now();
  const runStartS = since();
  const inWindow = (w, i) => Boolean(w && i >= w[0] && i < w[1]);
  const downAt = (i) => servers.filter((s) => inWindow(s.outage, i)).map((s) => s.label);
  // Switched by the highest turn sent so far, so a caller that woke late cannot switch it back.
  const switchOutages = (i) => {
    if (i <= highestSent) return;
    highestSent = i;
    for (const s of servers) {
      const on = inWindow(s.outage, i);
      if (on === Boolean(s.outageOn)) continue;
      s.outageOn = on;
      s.server.setOutage(on);
      s.window[on ? "from" : "to"] = since();
    }
  };

  const newCall = async (worker) => {
    const r = await request("/api/v1/calls?reply=text", {
      method: "POST",
      token: key,
      json: { userId: `caller-${worker}` },
    });
    if (r.status !== 201 && r.status !== 200) {
      calls.failedToCreate++;
      throw new Error(`POST /api/v1/calls: ${r.status || r.error} ${r.text?.slice(0, 200) ?? ""}`);
    }
    calls.created++;
    return r.data.callId;
  };
  const endCall = async (callId) => {
    const r = await request(`/api/v1/calls/${callId}/end`, { method: "POST", token: key });
    if (r.status === 200) calls.ended++;
  };

  const caller = async (worker) => {
    let callId = null;
    let onCall = 0;
    let sinceControl = 0;
    let controlIndex = worker;
    while (!stop.signal.aborted) {
      const i = next++;
      if (i >= opts.turns) break;
      if (opts.rate > 0) {
        const due = runStart + (i / opts.rate) * 1000;
        if (due > performance.now()) await sleep(due - performance.now(), stop.signal);
        if (stop.signal.aborted) break;
      }
      switchOutages(i);
      const down = downAt(i);
      if (!callId || onCall >= TURNS_PER_CALL) {
        if (callId) await endCall(callId);
        callId = await newCall(worker);
        onCall = 0;
      }
      onCall++;
      const at = since();
      const r = await request(`/api/v1/calls/${callId}/turns?reply=text`, {
        method: "POST",
        token: key,
        body: AUDIO,
        contentType: "audio/wav",
        timeoutMs: TURN_TIMEOUT_MS,
      });
      const transcript = r.data?.transcript;
      turns.push({
        i,
        at,
        down,
        cut: r.cut,
        status: r.status,
        ms: r.ms,
        provider: transcript?.provider,
        region: transcript?.region,
        text: transcript?.text,
        code: r.data?.code,
        requestId: r.requestId,
        retryAfter: r.retryAfter,
        error: r.error,
        body: r.status === 200 ? undefined : r.text?.slice(0, 300),
      });
      if (r.status === 200 && r.data?.callStatus === "ended") callId = null;
      if (r.status === 404 || r.status === 409) callId = null; // the call ended (or vanished): start another

      // A text or keypad turn now and then: these must never depend on the STT providers.
      if (++sinceControl >= opts.controlEvery && callId && !stop.signal.aborted) {
        sinceControl = 0;
        const body = CONTROL_TURNS[controlIndex++ % CONTROL_TURNS.length];
        const cat = since();
        const downNow = servers.filter((s) => s.outageOn).map((s) => s.label);
        const c = await request(`/api/v1/calls/${callId}/turns?reply=text`, {
          method: "POST",
          token: key,
          json: body,
          timeoutMs: TURN_TIMEOUT_MS,
        });
        if (c.cut) break;
        controls.push({
          kind: "text" in body ? "text" : "keypad",
          at: cat,
          down: downNow,
          status: c.status,
          ms: c.ms,
          requestId: c.requestId,
          error: c.error,
          body: c.status === 200 ? undefined : c.text?.slice(0, 300),
        });
        if (c.status === 200 && c.data?.callStatus === "ended") callId = null;
      }
    }
    if (callId) await endCall(callId);
  };
  console.log(`running ${opts.turns} audio turns (seed ${opts.seed}) ...`);
  const results = await Promise.allSettled(Array.from({ length: opts.concurrency }, (_, w) => caller(w)));
  const runSeconds = (performance.now() - runStart) / 1000;
  for (const s of servers) {
    s.server.setOutage(false);
    if (s.outageOn) s.window.to = since();
  }
  await sleep(1200); // one more poll after the last turn
  await poll();
  clearInterval(poller);
  const callerErrors = results.filter((r) => r.status === "rejected").map((r) => String(r.reason?.message ?? r.reason));

  const healthy = report({
    opts,
    servers,
    turns,
    controls,
    calls,
    polled,
    runSeconds,
    runStartS,
    callerErrors,
    workerEvents,
    workerReloads,
    stopReason,
  });
  return { healthy, ...seedLine(opts.seed, turns, servers, runStartS) };
}

console.log(
  `bench:faults — scenario ${opts.scenario}, ${opts.turns} audio turns, concurrency ${opts.concurrency}, ` +
    `${opts.rate ? `${opts.rate} turns/s` : "unpaced"}, seeds ${opts.seeds.join(", ")}, cap ${opts.cap} s per seed; ` +
    `late 503 = more than ${LATE_503_AFTER_S} s after the latest outage ended`,
);
for (const line of machineLines()) console.log(line);
const everyDown = Array.from({ length: opts.turns }, (_, i) => i).filter((i) => {
  const profiles = scenarioServers(opts);
  return profiles.every((p) => p.outage && i >= p.outage[0] && i < p.outage[1]);
});
console.log(
  everyDown.length
    ? `WARNING: every server is in outage on ${everyDown.length} audio turns (from turn ${everyDown[0]})`
    : "at every audio turn at least one server is out of outage",
);
const results = [];
for (const seed of opts.seeds) {
  if (quit.signal.aborted) break;
  const r = await runSeed(seed);
  results.push({ seed, ...(r ?? { failed: true }) });
  if (r) console.log(`\n${r.line}`);
}
const met = seedSummary(results, opts.seeds);
process.exit(quit.signal.aborted ? 130 : met && results.every((r) => r.healthy) ? 0 : 1);
