#!/usr/bin/env node
// Does voice-edge keep answering when its speech-to-text provider misbehaves? Measured end to end.
//
// Usage: npm run bench:faults -- [turns] [--concurrency 4] [--rate 2] [--seed 42] [--fault-rate 0.4]
//                                [--outage 80-140] [--control-every 5] [--cap 300] [--verbose]
//
// 1. Starts a fault-injecting OpenAI-compatible STT server (bench/fault-provider.mjs) on 127.0.0.1:
//    `fault-rate` of its requests get 500, 429 (Retry-After: 1), a hang, a slow answer (4 s),
//    malformed JSON or a reset connection, and audio turns [80, 140) meet a total outage (all 500).
// 2. Starts `wrangler dev` on a free port with STT_PROVIDERS=openai pointed at that server. Its
//    settings come from a generated --env-file (so the developer's .dev.vars is not read) and its
//    state from a temporary --persist-to directory (so .wrangler/state is not touched); the D1
//    migrations are applied there first.
// 3. Posts `turns` audio turns (test/fixtures/audio/balance-16k.wav, ?reply=text) from `concurrency`
//    callers, paced at `rate` turns per second (0 = no pacing), a new call every 20 audio turns, and a
//    text or keypad turn after every `control-every` audio turns of a caller.
// 4. Meanwhile polls GET /api/v1/providers each second for the breaker of openai@127.0.0.1:<port>,
//    and reads the worker's own `provider_breaker` / `stt_unavailable` log lines.
// 5. Prints the figures, then stops everything it started (also on errors, Ctrl-C and the `cap`).
//
// Only one provider is faulted: this build has a single OpenAI-compatible adapter ("openai"), and
// no other STT adapter can be pointed at a local server (Deepgram, Google and Azure have fixed
// hosts, Workers AI is a binding), so failover to a second provider cannot be exercised locally.
// What is measured is the resilience of one provider: retries, the retry budget, the breaker, the
// deadline, and that keypad and text turns never depend on the provider.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { FAULT_KINDS, startFaultProvider } from "./fault-provider.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const WRANGLER = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
const AUDIO = readFileSync(join(ROOT, "test", "fixtures", "audio", "balance-16k.wav"));
const ADMIN_TOKEN = "bench-admin-token-0123456789";
const TURNS_PER_CALL = 20;
const TURN_TIMEOUT_MS = 30_000; // the server's STT deadline for this clip is about 11 s
const CONTROL_TURNS = [{ text: "what is my balance" }, { dtmf: "1" }];

// ---------------------------------------------------------------------------------------------- options
function parseArgs(argv) {
  const o = { turns: 200, concurrency: 4, rate: 2, seed: 42, faultRate: 0.4, outage: [80, 140], controlEvery: 5, cap: 300, verbose: false };
  const names = { concurrency: "concurrency", rate: "rate", seed: "seed", "fault-rate": "faultRate", "control-every": "controlEvery", cap: "cap" };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--verbose") o.verbose = true;
    else if (arg === "--help" || arg === "-h") {
      console.log("npm run bench:faults -- [turns] [--concurrency 4] [--rate 2] [--seed 42] [--fault-rate 0.4] [--outage 80-140|none] [--control-every 5] [--cap 300] [--verbose]");
      process.exit(0);
    } else if (arg.startsWith("--")) {
      const [flag, inline] = arg.slice(2).split("=", 2);
      const value = inline ?? argv[++i];
      if (value === undefined) throw new Error(`${arg} needs a value`);
      if (flag === "outage") {
        const m = /^(\d+)-(\d+)$/.exec(value);
        if (value !== "none" && !m) throw new Error("--outage takes FROM-TO (audio turn numbers, TO excluded) or none");
        o.outage = m ? [Number(m[1]), Number(m[2])] : null;
      } else if (names[flag]) {
        o[names[flag]] = Number(value);
        if (!Number.isFinite(o[names[flag]]) || o[names[flag]] < 0) throw new Error(`--${flag} must be a non-negative number`);
      } else throw new Error(`unknown option ${arg}`);
    } else o.turns = Number(arg);
  }
  if (!(Number.isInteger(o.turns) && o.turns > 0)) throw new Error("turns must be a positive integer");
  if (!(Number.isInteger(o.concurrency) && o.concurrency > 0)) throw new Error("--concurrency must be a positive integer");
  if (o.faultRate > 1) throw new Error("--fault-rate is a share between 0 and 1");
  return o;
}
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
const stamp = (s) => `+${s.toFixed(1).padStart(5)}s`;
const sleep = (ms, signal) =>
  new Promise((res) => {
    const t = setTimeout(res, ms);
    signal?.addEventListener("abort", () => (clearTimeout(t), res()), { once: true });
  });

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

const pct = (xs, p) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)];
};
const num = (x) => (Number.isNaN(x) ? "-" : String(Math.round(x)));
const share = (n, d) => (d ? `${((100 * n) / d).toFixed(1)}%` : "-");
const latencyRow = (label, xs) =>
  `  ${label.padEnd(30)} ${String(xs.length).padStart(5)} ${num(pct(xs, 50)).padStart(7)} ${num(pct(xs, 95)).padStart(7)} ${num(pct(xs, 99)).padStart(7)} ${num(xs.length ? Math.max(...xs) : NaN).padStart(7)}`;

// ---------------------------------------------------------------------------------------------- lifecycle
const tmp = mkdtempSync(join(tmpdir(), "voice-edge-faults-"));
const stop = new AbortController(); // the cap, Ctrl-C, or a fatal error: stop sending turns
let wrangler; // the `wrangler dev` child (leader of its own process group)
let provider; // the fault server
let poller;
let capTimer;
let stopReason; // why the run stopped early, if it did
const logTail = [];
const workerEvents = []; // JSON log lines of interest from the worker, with their arrival time

function killGroup(child, signal) {
  if (!child?.pid) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

function groupAlive(child) {
  if (!child?.pid) return false;
  try {
    process.kill(-child.pid, 0);
    return true;
  } catch {
    return false;
  }
}

let cleaning;
function cleanup() {
  cleaning ??= (async () => {
    stop.abort();
    clearInterval(poller);
    clearTimeout(capTimer);
    if (wrangler && wrangler.exitCode === null && wrangler.signalCode === null) {
      const exited = new Promise((res) => wrangler.once("exit", res));
      killGroup(wrangler, "SIGTERM");
      await Promise.race([exited, sleep(5000)]);
    }
    killGroup(wrangler, "SIGKILL"); // workerd and esbuild children, if any outlived wrangler
    for (let i = 0; i < 30 && groupAlive(wrangler); i++) await sleep(100);
    await provider?.close().catch(() => {});
    rmSync(tmp, { recursive: true, force: true });
  })();
  return cleaning;
}
// Last resort if we exit without cleanup (an uncaught throw): never leave workerd running.
process.on("exit", () => killGroup(wrangler, "SIGKILL"));
// First Ctrl-C: stop sending turns, report what was measured, clean up. Second one (or 15 s later): just clean up.
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    if (stop.signal.aborted) return void cleanup().then(() => process.exit(130));
    console.error(`\n${sig}: stopping (again to quit at once)...`);
    stopReason ??= sig;
    stop.abort();
    setTimeout(() => void cleanup().then(() => process.exit(130)), 15_000).unref();
  });
}

function run(args, { timeoutMs, onLine } = {}) {
  const child = spawn(process.execPath, [WRANGLER, ...args], {
    cwd: ROOT,
    detached: true, // own process group, so the whole tree can be stopped at once
    stdio: ["ignore", "pipe", "pipe"],
    env: childEnv(),
  });
  for (const stream of [child.stdout, child.stderr]) {
    let buf = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk) => {
      buf += chunk;
      const lines = buf.split("\n");
      buf = lines.pop();
      for (const line of lines) onLine?.(line);
    });
  }
  if (timeoutMs) {
    const t = setTimeout(() => killGroup(child, "SIGKILL"), timeoutMs);
    child.once("exit", () => clearTimeout(t));
    // A short-lived command (the migrations) also stops with the run; `wrangler dev` is stopped by cleanup().
    const onStop = () => killGroup(child, "SIGKILL");
    stop.signal.addEventListener("abort", onStop, { once: true });
    child.once("exit", () => stop.signal.removeEventListener("abort", onStop));
  }
  return child;
}

function childEnv() {
  const env = { ...process.env, WRANGLER_SEND_METRICS: "false", FORCE_COLOR: "0", NO_COLOR: "1" };
  delete env.CLOUDFLARE_INCLUDE_PROCESS_ENV; // settings come from our --env-file only
  return env;
}

function remember(line) {
  const clean = line.replace(/\x1b\[[0-9;]*m/g, ""); // eslint-disable-line no-control-regex
  logTail.push(clean);
  if (logTail.length > 60) logTail.shift();
  if (opts.verbose) console.error(`[wrangler] ${clean}`);
  const brace = clean.indexOf('{"event":"');
  if (brace < 0) return;
  try {
    const event = JSON.parse(clean.slice(brace));
    if (event.event === "provider_breaker" || event.event === "stt_unavailable" || event.event === "stt_failover") workerEvents.push({ at: since(), ...event });
  } catch {
    // not one of ours
  }
}

// ---------------------------------------------------------------------------------------------- HTTP
let base;
async function request(path, { method = "GET", token, json, body, contentType, timeoutMs = 10_000, abortable = true } = {}) {
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
      signal: abortable ? AbortSignal.any([AbortSignal.timeout(timeoutMs), stop.signal]) : AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let data;
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
    return { status: res.status, ms: performance.now() - started, data, text, requestId: res.headers.get("x-request-id"), retryAfter: res.headers.get("retry-after") };
  } catch (err) {
    if (stop.signal.aborted && err.name === "AbortError") return { status: 0, ms: performance.now() - started, cut: true, error: "cut off by the stop" };
    return { status: 0, ms: performance.now() - started, error: err.name === "TimeoutError" ? `client timeout after ${timeoutMs} ms` : `${err.name}: ${err.cause?.code ?? err.message}` };
  }
}

async function must(label, promise) {
  const r = await promise;
  if (r.status < 200 || r.status >= 300) throw new Error(`${label}: ${r.status || r.error} ${r.text?.slice(0, 300) ?? ""}`);
  return r.data;
}

// ---------------------------------------------------------------------------------------------- main
async function main() {
  console.log(`bench:faults — ${opts.turns} audio turns, concurrency ${opts.concurrency}, ${opts.rate ? `${opts.rate} turns/s` : "unpaced"}, seed ${opts.seed}, cap ${opts.cap} s`);
  capTimer = setTimeout(() => {
    console.error(`\noverall cap of ${opts.cap} s reached: stopping`);
    stopReason ??= `the overall cap of ${opts.cap} s`;
    stop.abort();
  }, opts.cap * 1000);

  provider = await startFaultProvider({ name: "primary", seed: opts.seed, faultRate: opts.faultRate });
  const region = `127.0.0.1:${provider.port}`;
  console.log(`fault server: ${provider.url} (${Math.round(opts.faultRate * 100)}% faults, ${opts.outage ? `outage on audio turns ${opts.outage[0]}–${opts.outage[1] - 1}` : "no outage"})`);

  const persist = join(tmp, "state");
  const envFile = join(tmp, "bench.env");
  writeFileSync(envFile, [`ADMIN_TOKEN=${ADMIN_TOKEN}`, "STT_PROVIDERS=openai", `OPENAI_BASE_URL=${provider.url}`, "TTS_PROVIDERS=local", ""].join("\n"));

  console.log(`applying D1 migrations in ${persist} ...`);
  const migrate = run(["d1", "migrations", "apply", "DB", "--local", "--persist-to", persist, "--env-file", envFile], { timeoutMs: 90_000, onLine: remember });
  const migrateCode = await new Promise((res) => migrate.once("exit", (code) => res(code)));
  if (migrateCode !== 0) throw new Error(`wrangler d1 migrations apply exited with ${migrateCode}`);

  const port = await freePort();
  const inspectorPort = await freePort();
  base = `http://127.0.0.1:${port}`;
  wrangler = run(
    ["dev", "--port", String(port), "--ip", "127.0.0.1", "--inspector-port", String(inspectorPort), "--persist-to", persist, "--env-file", envFile, "--show-interactive-dev-session=false"],
    { onLine: remember },
  );
  wrangler.once("exit", (code, signal) => {
    if (!cleaning) {
      console.error(`wrangler dev exited early (${code ?? signal}); last lines:\n${logTail.slice(-20).join("\n")}`);
      stopReason ??= "wrangler dev exiting";
      stop.abort();
    }
  });
  console.log(`starting wrangler dev on ${base} ...`);
  const deadline = performance.now() + 90_000;
  for (;;) {
    if (stop.signal.aborted) throw new Error("stopped before wrangler dev was ready");
    const r = await request("/healthz", { timeoutMs: 3000 });
    if (r.status === 200) break;
    if (performance.now() > deadline) throw new Error(`wrangler dev did not answer /healthz within 90 s; last lines:\n${logTail.slice(-20).join("\n")}`);
    await sleep(500);
  }
  console.log(`ready after ${since().toFixed(1)} s`);

  const providers = await must("GET /api/v1/providers", request("/api/v1/providers", { token: ADMIN_TOKEN }));
  const chain = providers.chains.stt;
  if (chain.problem || chain.providers.length !== 1 || chain.providers[0].region !== region) {
    throw new Error(`unexpected STT chain: ${JSON.stringify(chain)}`);
  }
  const { key } = await must("POST /api/v1/admin/keys", request("/api/v1/admin/keys", { method: "POST", token: ADMIN_TOKEN, json: { tenantId: "bench-faults", scopes: ["calls:write", "calls:read"] } }));
  // Warm the isolate with a text turn (the first request of a fresh isolate is slow); no STT call.
  const warm = await must("POST /api/v1/calls", request("/api/v1/calls?reply=text", { method: "POST", token: key, json: { userId: "warmup" } }));
  await must("warm-up turn", request(`/api/v1/calls/${warm.callId}/turns?reply=text`, { method: "POST", token: key, json: CONTROL_TURNS[0] }));
  await request(`/api/v1/calls/${warm.callId}/end`, { method: "POST", token: key });
  if (provider.stats().requests !== 0) throw new Error("the fault server was called before the run started");

  // Breaker polling: state changes of openai@<region> as GET /api/v1/providers reports them.
  const polled = { samples: 0, failures: 0, transitions: [], last: "closed", maxErrorRate: 0, latencyMs: [] };
  const poll = async () => {
    const r = await request("/api/v1/providers", { token: ADMIN_TOKEN, timeoutMs: 2000, abortable: false });
    if (r.status !== 200) return void polled.failures++;
    polled.samples++;
    const h = r.data.health.find((e) => e.provider === "openai" && e.region === region);
    if (!h) return;
    if (h.latencyMs !== undefined) polled.latencyMs.push(h.latencyMs);
    polled.maxErrorRate = Math.max(polled.maxErrorRate, h.errorRate ?? 0);
    if (h.state !== polled.last) {
      polled.transitions.push({ at: since(), from: polled.last, to: h.state, failureRate: h.failureRate, calls: h.callsInWindow });
      polled.last = h.state;
    }
  };
  poller = setInterval(() => void poll(), 1000);

  // The callers.
  const turns = [];
  const controls = [];
  const calls = { created: 0, ended: 0, failedToCreate: 0 };
  let next = 0;
  let outageOn = false;
  let highestSent = -1;
  const outageWindow = {};
  const runStart = performance.now();
  const runStartS = since();

  const newCall = async (worker) => {
    const r = await request("/api/v1/calls?reply=text", { method: "POST", token: key, json: { userId: `caller-${worker}` } });
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
      const inOutage = Boolean(opts.outage && i >= opts.outage[0] && i < opts.outage[1]);
      // Switched by the highest turn sent so far, so a caller that woke late cannot switch it back.
      if (i > highestSent && inOutage !== outageOn) {
        outageOn = inOutage;
        provider.setOutage(inOutage);
        outageWindow[inOutage ? "from" : "to"] = since();
      }
      highestSent = Math.max(highestSent, i);
      if (!callId || onCall >= TURNS_PER_CALL) {
        if (callId) await endCall(callId);
        callId = await newCall(worker);
        onCall = 0;
      }
      onCall++;
      const at = since();
      const r = await request(`/api/v1/calls/${callId}/turns?reply=text`, { method: "POST", token: key, body: AUDIO, contentType: "audio/wav", timeoutMs: TURN_TIMEOUT_MS });
      turns.push({ i, at, outage: inOutage, cut: r.cut, status: r.status, ms: r.ms, provider: r.data?.transcript?.provider, region: r.data?.transcript?.region, text: r.data?.transcript?.text, code: r.data?.code, requestId: r.requestId, retryAfter: r.retryAfter, error: r.error, body: r.status === 200 ? undefined : r.text?.slice(0, 300) });
      if (r.status === 200 && r.data?.callStatus === "ended") callId = null;
      if (r.status === 404 || r.status === 409) callId = null; // the call ended (or vanished): start another

      // A text or keypad turn now and then: these must never depend on the STT provider.
      if (++sinceControl >= opts.controlEvery && callId && !stop.signal.aborted) {
        sinceControl = 0;
        const body = CONTROL_TURNS[controlIndex++ % CONTROL_TURNS.length];
        const cat = since();
        const outageNow = outageOn;
        const c = await request(`/api/v1/calls/${callId}/turns?reply=text`, { method: "POST", token: key, json: body, timeoutMs: TURN_TIMEOUT_MS });
        if (c.cut) break;
        controls.push({ kind: "text" in body ? "text" : "keypad", at: cat, outage: outageNow, status: c.status, ms: c.ms, requestId: c.requestId, error: c.error, body: c.status === 200 ? undefined : c.text?.slice(0, 300) });
        if (c.status === 200 && c.data?.callStatus === "ended") callId = null;
      }
    }
    if (callId) await endCall(callId);
  };
  console.log(`running ${opts.turns} audio turns ...`);
  const results = await Promise.allSettled(Array.from({ length: opts.concurrency }, (_, w) => caller(w)));
  const runSeconds = (performance.now() - runStart) / 1000;
  provider.setOutage(false);
  if (outageOn) outageWindow.to = since();
  await sleep(1200); // one more poll after the last turn
  await poll();
  clearInterval(poller);
  const callerErrors = results.filter((r) => r.status === "rejected").map((r) => String(r.reason?.message ?? r.reason));

  return report({ region, turns, controls, calls, polled, outageWindow, runSeconds, runStartS, callerErrors, served: provider.stats() });
}

// ---------------------------------------------------------------------------------------------- report
function report({ region, turns: all, controls, calls, polled, outageWindow, runSeconds, runStartS, callerErrors, served }) {
  const turns = all.filter((t) => !t.cut); // turns in flight when the cap stopped the run say nothing
  const cut = all.length - turns.length;
  const ok = turns.filter((t) => t.status === 200);
  const unavailable = turns.filter((t) => t.status === 503 && t.code === "provider_unavailable");
  const other = turns.filter((t) => !(t.status === 200 || (t.status === 503 && t.code === "provider_unavailable")));
  const wrongText = ok.filter((t) => t.text !== "i would like to check my account balance please" || t.provider !== "openai" || t.region !== region);
  const rel = (s) => stamp(s - runStartS);
  const logged = workerEvents.filter((e) => e.event === "provider_breaker" && e.region === region);
  // The breaker's state when a turn was sent, from the worker's own transition log.
  const breakerAt = (at) => logged.filter((e) => e.at <= at).at(-1)?.to ?? "closed";
  for (const t of [...turns, ...controls]) t.breaker = breakerAt(t.at);
  const line = (label, value) => console.log(`  ${label.padEnd(34)} ${value}`);

  console.log(`\n=== voice-edge under injected STT faults (${runSeconds.toFixed(1)} s of turns${stopReason ? `, STOPPED EARLY by ${stopReason}` : ""}) ===`);
  console.log(`provider   openai@${region}: fault server, ${Math.round(opts.faultRate * 100)}% faults split evenly over ${FAULT_KINDS.join(", ")} (slow = 4 s, Retry-After: 1)`);
  console.log(`outage     ${opts.outage ? `audio turns ${opts.outage[0]}–${opts.outage[1] - 1} all 500${outageWindow.from !== undefined ? `, from ${rel(outageWindow.from)} to ${rel(outageWindow.to ?? outageWindow.from)}` : " (not reached)"}` : "none"}`);
  console.log("secondary  none: no second STT adapter can point at a local server in this build, so no failover is exercised");
  console.log(`calls      ${calls.created} created, ${calls.ended} ended; times below are from the first turn`);

  console.log("\naudio turns");
  line("sent", `${turns.length}${cut ? ` (and ${cut} cut off in flight by the stop, not counted)` : ""}`);
  line("200 answered", `${ok.length}  ${share(ok.length, turns.length)}`);
  line("503 provider_unavailable", `${unavailable.length}  ${share(unavailable.length, turns.length)}`);
  line("anything else", `${other.length}${other.length ? "  <-- unexpected" : ""}`);
  const [from, to] = opts.outage ? opts.outage.map((x) => Math.min(x, opts.turns)) : [opts.turns, opts.turns];
  const phases = [
    [from, `turns 0–${from - 1}, ${opts.outage ? "before the outage" : "no outage"}`, (t) => t.i < from],
    [to - from, `turns ${from}–${to - 1}, the outage`, (t) => t.outage],
    [opts.turns - to, `turns ${to}–${opts.turns - 1}, after it`, (t) => t.i >= to],
  ];
  for (const [size, label, pick] of phases) {
    if (size <= 0) continue;
    const xs = turns.filter(pick);
    const n200 = xs.filter((t) => t.status === 200).length;
    const skipped = xs.filter((t) => t.status !== 200 && t.breaker !== "closed").length;
    line(label, `${n200} of ${xs.length} answered 200 (${share(n200, xs.length)}); ${skipped} got 503 while the breaker was not closed`);
  }
  line("200 with a wrong transcript", wrongText.length);
  const ra = unavailable.map((t) => Number(t.retryAfter)).filter(Number.isFinite);
  const longer = ra.filter((x) => x > 1);
  line(
    "Retry-After on the 503s",
    ra.length
      ? `${ra.length - longer.length} × 1 s; ${longer.length} × 2–30 s${longer.length ? ` (the breaker's wait; p50 ${num(pct(longer, 50))} s, max ${Math.max(...longer)} s)` : ""}; ${unavailable.length - ra.length} without`
      : "-",
  );

  console.log("\nlatency, ms (client round trip)      n     p50     p95     p99     max");
  console.log(latencyRow("200", ok.map((t) => t.ms)));
  console.log(latencyRow("503", unavailable.map((t) => t.ms)));
  console.log(latencyRow("503 while the breaker was open*", unavailable.filter((t) => t.breaker !== "closed").map((t) => t.ms)));
  console.log(latencyRow("503 while it was closed*", unavailable.filter((t) => t.breaker === "closed").map((t) => t.ms)));
  console.log(latencyRow("text and keypad turns", controls.map((c) => c.ms)));
  console.log("  * the breaker's state when the turn was sent, from the worker's transition log");

  const faults = Object.values(served.faults).reduce((a, n) => a + n, 0);
  console.log("\nprovider requests (counted by the fault server)");
  const reached = workerEvents.filter((e) => e.event === "stt_unavailable" && e.reason === "exhausted").length + ok.length;
  line("requests for the audio turns", `${served.requests}  (${(served.requests / Math.max(1, turns.length)).toFixed(2)} per audio turn; ${(served.requests / Math.max(1, reached)).toFixed(2)} per turn that called it: ${reached} turns)`);
  line("correct answers served", `${served.answered}  (slow ones included)`);
  line("faults served", `${faults}  ${Object.entries(served.faults).map(([k, n]) => `${k} ${n}`).join(", ")}`);
  line("callers that gave up waiting", `${served.clientGone}  (hangs, and slow answers past the deadline)`);
  line("most requests in flight at once", served.maxInFlight);

  const unavailableEvents = workerEvents.filter((e) => e.event === "stt_unavailable");
  const reasons = {};
  for (const e of unavailableEvents) reasons[e.reason] = (reasons[e.reason] ?? 0) + 1;
  console.log("\nworker log");
  line("stt_unavailable by reason", Object.entries(reasons).map(([k, n]) => `${k} ${n}`).join(", ") || "none");
  const calledTimes = (e) => (e.attempts.match(/#\d+ /g) ?? []).length;
  const retried = workerEvents.filter((e) => e.event === "stt_failover");
  const exhausted = unavailableEvents.filter((e) => e.reason === "exhausted");
  line("200s that needed a retry", `${retried.length}  (${retried.reduce((a, e) => a + calledTimes(e), 0)} provider calls)`);
  line("503s after calling the provider", `${exhausted.length}  (${exhausted.reduce((a, e) => a + calledTimes(e), 0)} provider calls; the rest were answered without a call)`);

  console.log(`\nbreaker transitions of openai@${region}, as the worker logged them (${logged.length})`);
  for (const e of logged) console.log(`  ${rel(e.at)}  ${e.from} -> ${e.to}  (${e.reason})`);
  console.log(`breaker states seen by polling GET /api/v1/providers every 1 s (${polled.samples} polls, ${polled.failures} failed, ${polled.transitions.length} changes)`);
  for (const t of polled.transitions) console.log(`  ${rel(t.at)}  ${t.from} -> ${t.to}`);
  if (polled.latencyMs.length) line("EWMA latency polled (min / max ms)", `${Math.min(...polled.latencyMs)} / ${Math.max(...polled.latencyMs)};  highest errorRate ${polled.maxErrorRate}`);

  const ctlOk = controls.filter((c) => c.status === 200);
  const ctlOutage = controls.filter((c) => c.outage);
  const ctlOpen = controls.filter((c) => c.breaker !== "closed");
  console.log("\ntext and keypad turns (no STT provider involved)");
  line("sent", `${controls.length} (${controls.filter((c) => c.kind === "text").length} text, ${controls.filter((c) => c.kind === "keypad").length} keypad)`);
  line("answered 200", `${ctlOk.length} of ${controls.length}${ctlOk.length === controls.length ? "  (all)" : "  <-- NOT ALL"}`);
  line("during the outage window", `${ctlOutage.length}, ${ctlOutage.filter((c) => c.status === 200).length} answered 200`);
  line("while the breaker was not closed", `${ctlOpen.length}, ${ctlOpen.filter((c) => c.status === 200).length} answered 200`);

  const slowest = [...turns].sort((a, b) => b.ms - a.ms).slice(0, 3);
  console.log("\nslowest audio turns (X-Request-Id, for the worker log)");
  for (const t of slowest) console.log(`  turn ${String(t.i).padStart(3)} ${rel(t.at)}  ${t.status || t.error}  ${Math.round(t.ms)} ms  ${t.requestId ?? "-"}`);

  const problems = [...other.map((t) => ({ what: `audio turn ${t.i}`, ...t })), ...controls.filter((c) => c.status !== 200).map((c) => ({ what: `${c.kind} turn`, ...c }))];
  if (problems.length || callerErrors.length) {
    console.log("\nunexpected answers (request id, status, body)");
    for (const p of problems.slice(0, 20)) console.log(`  ${p.what} ${rel(p.at)}: ${p.requestId ?? "-"} ${p.status || ""} ${p.error ?? p.body ?? ""}`);
    if (problems.length > 20) console.log(`  ... and ${problems.length - 20} more`);
    for (const e of callerErrors) console.log(`  caller stopped: ${e}`);
  }
  return problems.length === 0 && callerErrors.length === 0 && !stopReason;
}

let healthy = false;
try {
  healthy = await main();
} catch (err) {
  console.error(`\nbench:faults failed: ${err.message}`);
  if (logTail.length) console.error(`last wrangler lines:\n${logTail.slice(-15).join("\n")}`);
}
await cleanup();
process.exit(healthy ? 0 : stopReason?.startsWith("SIG") ? 130 : 1);
