// bench:profile — where the Worker's CPU goes on one route, for whoever tunes it (not a benchmark:
// the sampling profiler itself slows the Worker, so its figures are shares, not latencies).
// Starts the Worker as bench:gateway does (provider stub with OpenAI's wire format, TTS cache off),
// with the DevTools inspector on (`wrangler dev --inspector-port`), runs autocannon on one route
// while V8's sampling profiler records, then prints the functions with the most self and inclusive
// time and writes the profile to profiles/<route>.cpuprofile (open it in Chrome DevTools).
// The snapshot's log() writes no console lines: through the inspector each line costs milliseconds
// locally and would swamp the profile (production has no inspector).
// Reading it: synchronous hot spots (DSP such as resample, JSON, zod, redaction) are real. Time an
// async function spends awaiting I/O (a provider's body, an RPC) can show as its own self time,
// because the sampler does not always see workerd's isolate as idle while it waits.
//   npm run bench:profile -- [transcribe|synthesize|turn|spoken-turn|call|healthz] [--duration 5] [--connections 1]
// (spoken-turn: a turn with the default reply, the embedded TTS engine through the R2 speech cache,
// one text over and over, so every reply after the first is a cache hit: a call's usual turn.)
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { ADMIN_TOKEN, benchKey, client } from "./lib/api.mjs";
import { APP_ENTRIES, ROOT, startDevServer } from "./lib/dev-server.mjs";
import { f1, load } from "./lib/load.mjs";
import { startProviderStub } from "./lib/provider-stub.mjs";
import { voiceEdgeVars } from "./turns.mjs";

const ROUTES = ["transcribe", "synthesize", "turn", "spoken-turn", "call", "healthz"];
const AUDIO = readFileSync(join(ROOT, "test", "fixtures", "audio", "balance-16k.wav"));

function parseArgs(argv) {
  const o = { route: "transcribe", durationS: 5, connections: 1 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--duration") o.durationS = Number(argv[++i]);
    else if (argv[i] === "--connections") o.connections = Number(argv[++i]);
    else if (ROUTES.includes(argv[i])) o.route = argv[i];
    else throw new Error(`unknown argument ${argv[i]}; routes: ${ROUTES.join(", ")}`);
  }
  return o;
}

/** A copy of the source whose log() computes its line but prints nothing. */
function quietSource() {
  const dir = mkdtempSync(join(tmpdir(), "voice-edge-profile-src-"));
  for (const entry of APP_ENTRIES) cpSync(join(ROOT, entry), join(dir, entry), { recursive: true });
  const file = join(dir, "src", "observability", "log.ts");
  const quiet = readFileSync(file, "utf8").replace(
    /if \(level === "error"\)[\s\S]*?else console\.log\(text\);/,
    "void text;",
  );
  if (!quiet.includes("void text;"))
    throw new Error("src/observability/log.ts changed: update quietSource() in bench/profile.mjs");
  writeFileSync(file, quiet);
  return dir;
}

/** A DevTools protocol session with the Worker's isolate. */
async function devtools(inspectorPort) {
  const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json();
  const ws = new WebSocket(targets[0].webSocketDebuggerUrl, { origin: `http://127.0.0.1:${inspectorPort}` });
  await new Promise((res, rej) => {
    ws.once("open", res);
    ws.once("error", rej);
  });
  let id = 0;
  const pending = new Map();
  ws.on("message", (data) => {
    const msg = JSON.parse(String(data));
    pending.get(msg.id)?.(msg);
    pending.delete(msg.id);
  });
  const send = (method, params = {}) =>
    new Promise((res) => (pending.set(++id, res), ws.send(JSON.stringify({ id, method, params }))));
  return { send, close: () => ws.close() };
}

/** Self and inclusive time per function (name, file, line), in ms. */
function summarize(profile) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n) =>
    `${n.callFrame.functionName || "(anonymous)"} ` +
    `${n.callFrame.url.split("/").pop() || ""}:${n.callFrame.lineNumber + 1}`;
  const self = new Map();
  const inclusive = new Map();
  profile.samples.forEach((nodeId, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    const key = label(nodes.get(nodeId));
    self.set(key, (self.get(key) ?? 0) + us / 1000);
    const seen = new Set();
    for (let cur = nodeId; cur !== undefined; cur = parent.get(cur)) {
      const k = label(nodes.get(cur));
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + us / 1000);
    }
  });
  return { self, inclusive };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const stub = await startProviderStub({ delayMs: 50 });
  const source = quietSource();
  let edge;
  try {
    edge = await startDevServer({
      label: "voice-edge-profile",
      source,
      inspector: true,
      vars:
        o.route === "spoken-turn"
          ? voiceEdgeVars()
          : voiceEdgeVars([
              "STT_PROVIDERS=openai",
              "TTS_PROVIDERS=openai",
              `OPENAI_BASE_URL=${stub.url}`,
              "TTS_CACHE_TTL_SECONDS=0",
            ]),
      migrate: true,
    });
    const api = client(edge.base);
    const key = await benchKey(api, ADMIN_TOKEN, "bench-profile");
    const auth = { authorization: `Bearer ${key}` };
    const { callId } = await api.must("/api/v1/calls?reply=text", { method: "POST", token: key, json: {} });
    const request = {
      healthz: () => ({ method: "GET", path: "/healthz" }),
      call: () => ({ method: "GET", path: `/api/v1/calls/${callId}`, headers: auth }),
      transcribe: () => ({
        method: "POST",
        path: "/api/v1/voice/transcribe",
        headers: { ...auth, "content-type": "audio/wav" },
        body: AUDIO,
      }),
      synthesize: () => ({
        method: "POST",
        path: "/api/v1/voice/synthesize",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ text: "Your balance is one hundred and twenty dollars." }),
      }),
      turn: () => ({
        method: "POST",
        path: `/api/v1/calls/${callId}/turns?reply=text`,
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ text: "what is my balance" }),
      }),
      "spoken-turn": () => ({
        method: "POST",
        path: `/api/v1/calls/${callId}/turns`,
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ text: "what is my balance" }),
      }),
    }[o.route];
    await load({ base: edge.base, connections: o.connections, durationS: 2, request }); // warm-up
    const session = await devtools(edge.inspectorPort);
    await session.send("Profiler.enable");
    await session.send("Profiler.setSamplingInterval", { interval: 200 });
    await session.send("Profiler.start");
    const r = await load({ base: edge.base, connections: o.connections, durationS: o.durationS, request });
    const { result } = await session.send("Profiler.stop");
    session.close();
    const dir = join(ROOT, "profiles");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${o.route}.cpuprofile`);
    writeFileSync(file, JSON.stringify(result.profile));
    console.log(
      `${o.route}: ${r.requests} requests at ${o.connections} connection(s), ${f1(r.rps)} req/s ` +
        `under the profiler, answers ${JSON.stringify(r.statuses)}; profile written to ${file}`,
    );
    const { self, inclusive } = summarize(result.profile);
    const top = (m, n) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
    console.log(`\nself time (ms per request)`);
    for (const [k, ms] of top(self, 25)) console.log(`${(ms / r.requests).toFixed(3).padStart(9)}  ${k}`);
    console.log(`\ninclusive time (ms per request)`);
    for (const [k, ms] of top(inclusive, 40)) console.log(`${(ms / r.requests).toFixed(3).padStart(9)}  ${k}`);
  } finally {
    await edge?.stop();
    await stub.close();
    rmSync(source, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`bench:profile failed: ${err.message}`);
  process.exitCode = 1;
});
