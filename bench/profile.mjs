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
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ADMIN_TOKEN, benchKey, client } from "./lib/api.mjs";
import { ROOT, startDevServer } from "./lib/dev-server.mjs";
import { printProfile, quietSource, startProfile } from "./lib/cpu-profile.mjs";
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
    const profiler = await startProfile(edge.inspectorPort);
    const r = await load({ base: edge.base, connections: o.connections, durationS: o.durationS, request });
    const profile = await profiler.stop();
    console.log(
      `${o.route}: ${r.requests} requests at ${o.connections} connection(s), ${f1(r.rps)} req/s ` +
        `under the profiler, answers ${JSON.stringify(r.statuses)}`,
    );
    printProfile(profile, o.route, r.requests, "request");
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
