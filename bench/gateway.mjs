// bench:gateway — what voice-edge adds on top of a speech provider (issue 7, part 2).
// Starts a provider stub (bench/lib/provider-stub.mjs: OpenAI's wire format from bench/fault-wire.mjs,
// every answer after a fixed delay) and two local Workers (bench/lib/dev-server.mjs, both the same way):
//   voice-edge   STT_PROVIDERS=openai, TTS_PROVIDERS=openai, OPENAI_BASE_URL=<stub> and the TTS cache
//                off (TTS_CACHE_TTL_SECONDS=0, so every synthesis reaches the stub);
//   bare proxy   bench/baseline-proxy/: the same two routes, each one outbound fetch to the stub and its
//                answer back, nothing else: what the local runtime itself costs for such a request.
// Then, at each concurrency, measures with autocannon:
//   the stub directly   POST /v1/audio/transcriptions (multipart, the fixture) and /v1/audio/speech (pcm);
//   bare proxy          POST /api/v1/voice/transcribe (audio/wav body) and /api/v1/voice/synthesize;
//   voice-edge          the same two requests.
// Prints, at p50/p99: the overhead (voice-edge minus the stub's direct latency: the definition,
// and the verdict's), the local runtime's share of it (bare proxy minus stub) and voice-edge's own
// share (voice-edge minus bare proxy). Figures only: no asserts.
// Alone: node bench/gateway.mjs [--duration 5] [--warmup 1] [--concurrency 1,8] [--delay 50]
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { benchKey, client } from "./lib/api.mjs";
import { ADMIN_TOKEN } from "./lib/api.mjs";
import { ROOT, startDevServer } from "./lib/dev-server.mjs";
import { f1, load, pct, statusLine } from "./lib/load.mjs";
import { startProviderStub } from "./lib/provider-stub.mjs";
import { compat, parseTurnsArgs, voiceEdgeVars } from "./turns.mjs";

const AUDIO = readFileSync(join(ROOT, "test", "fixtures", "audio", "balance-16k.wav"));
const SENTENCE = "Your balance is one hundred and twenty dollars and fifty cents.";
export const TARGET_P50_MS = 5;

function multipart(fields, file) {
  const boundary = "----bench" + Math.random().toString(16).slice(2);
  const parts = Object.entries(fields).map(([k, v]) =>
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`),
  );
  parts.push(
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; ` +
        `filename="audio.wav"\r\nContent-Type: audio/wav\r\n\r\n`,
    ),
    file,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  );
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

const pair = (a, b) => `${f1(a)} / ${f1(b)}`;

export async function runGateway(o, log = console.log) {
  const delayMs = o.delayMs ?? 50;
  const concurrency = o.gatewayConcurrency ?? [1, 8];
  const ours = compat(join(ROOT, "wrangler.toml"));
  const theirs = compat(join(ROOT, "bench", "baseline-proxy", "wrangler.toml"));
  if (ours !== theirs)
    throw new Error(
      `bench/baseline-proxy/wrangler.toml has compatibility ${theirs}, wrangler.toml ${ours}: make them match`,
    );
  log(`\n== Gateway overhead (bench/gateway.mjs) ==`);
  log(
    `parameters: provider stub answering ${delayMs} ms after each request; concurrency ` +
      `${concurrency.join(", ")}; ${o.warmupS} s warm-up + ${o.durationS} s measured per run; transcribe ` +
      `${AUDIO.length} bytes (test/fixtures/audio/balance-16k.wav), synthesize ${SENTENCE.length} ` +
      `characters to wav; TTS cache off; bare proxy Worker bench/baseline-proxy/, compatibility ${ours}`,
  );
  const stub = await startProviderStub({ delayMs });
  const servers = [];
  try {
    const [proxy, edge] = await Promise.all([
      startDevServer({
        label: "baseline-proxy",
        source: join(ROOT, "bench", "baseline-proxy"),
        entries: ["worker.js", "wrangler.toml"],
        vars: [`OPENAI_BASE_URL=${stub.url}`],
        signal: o.signal,
      }).then((x) => (servers.push(x), x)),
      startDevServer({
        label: "voice-edge-gateway",
        vars: voiceEdgeVars([
          "STT_PROVIDERS=openai",
          "TTS_PROVIDERS=openai",
          `OPENAI_BASE_URL=${stub.url}`,
          "TTS_CACHE_TTL_SECONDS=0",
        ]),
        migrate: true,
        signal: o.signal,
      }).then((x) => (servers.push(x), x)),
    ]);
    log(`stub ${stub.url}, bare proxy ${proxy.base}, voice-edge ${edge.base}`);
    const api = client(edge.base);
    const key = await benchKey(api, ADMIN_TOKEN, "bench-gateway");
    const t = await api.must("/api/v1/voice/transcribe", {
      method: "POST",
      token: key,
      body: AUDIO,
      contentType: "audio/wav",
    });
    const s = await api.request("/api/v1/voice/synthesize", { method: "POST", token: key, json: { text: SENTENCE } });
    if (s.status !== 200 || t.provider !== "openai" || s.headers.get("x-voice-provider") !== "openai")
      throw new Error(
        "voice-edge did not use the stub: transcribe " +
          `${JSON.stringify(t).slice(0, 200)}; synthesize ${s.status} ${s.headers.get("x-voice-provider")}`,
      );
    log(
      `check: transcribe -> "${t.text}" from ${t.provider}@${t.region}; synthesize -> ` +
        `${s.headers.get("content-type")} from ${s.headers.get("x-voice-provider")} (cache ` +
        `${s.headers.get("x-voice-cache")})`,
    );
    const proxied = client(proxy.base);
    const pt = await proxied.must("/api/v1/voice/transcribe", {
      method: "POST",
      body: AUDIO,
      contentType: "audio/wav",
    });
    const ps = await proxied.request("/api/v1/voice/synthesize", { method: "POST", json: { text: SENTENCE } });
    if (typeof pt?.text !== "string" || ps.status !== 200 || ps.headers.get("content-type") !== "audio/pcm")
      throw new Error(
        "the bare proxy did not reach the stub: transcribe " +
          `${JSON.stringify(pt).slice(0, 200)}; synthesize ${ps.status} ${ps.headers.get("content-type")}`,
      );
    log(`check: bare proxy transcribe -> "${pt.text}"; synthesize -> ${ps.headers.get("content-type")}`);

    const mp = multipart({ model: "whisper-1", response_format: "json" }, AUDIO);
    const speechBody = JSON.stringify({ model: "tts-1", input: SENTENCE, voice: "alloy", response_format: "pcm" });
    const auth = { authorization: `Bearer ${key}` };
    const cases = [
      {
        name: "transcribe",
        direct: () => ({
          method: "POST",
          path: "/v1/audio/transcriptions",
          headers: { "content-type": mp.contentType },
          body: mp.body,
        }),
        ours: () => ({
          method: "POST",
          path: "/api/v1/voice/transcribe",
          headers: { ...auth, "content-type": "audio/wav" },
          body: AUDIO,
        }),
        served: "transcriptions",
      },
      {
        name: "synthesize",
        direct: () => ({
          method: "POST",
          path: "/v1/audio/speech",
          headers: { "content-type": "application/json" },
          body: speechBody,
        }),
        ours: () => ({
          method: "POST",
          path: "/api/v1/voice/synthesize",
          headers: { ...auth, "content-type": "application/json" },
          body: JSON.stringify({ text: SENTENCE }),
        }),
        served: "speech",
      },
    ];
    // A warm-up run first (same load, not counted), so the stub's service times cover the measured run only.
    const measure = async (base, request, connections) => {
      if (o.warmupS) await load({ base, request, connections, durationS: o.warmupS });
      stub.reset();
      return load({ base, request, connections, durationS: o.durationS });
    };
    const rows = [];
    for (const connections of concurrency) {
      for (const c of cases) {
        const direct = await measure(stub.url, c.direct, connections);
        const bare = await measure(proxy.base, c.ours, connections); // the bare proxy ignores the key
        const ve = await measure(edge.base, c.ours, connections);
        const service = stub.stats()[c.served].sort((a, b) => a - b); // the stub's own time for voice-edge's requests
        rows.push({ name: c.name, connections, direct, bare, ve, service });
      }
    }
    log("");
    log("latency, ms p50 / p99 (client side), and voice-edge's throughput");
    log(
      `${"route".padEnd(12)}${"conc".padStart(5)}  ${"stub direct".padEnd(16)}${"bare proxy".padEnd(16)}` +
        `${"voice-edge".padEnd(16)}${"req/s".padStart(7)}   answers: voice-edge; bare proxy`,
    );
    for (const { name, connections, direct, bare, ve, service } of rows) {
      log(
        `${name.padEnd(12)}${String(connections).padStart(5)}  ${pair(direct.p50, direct.p99).padEnd(16)}` +
          `${pair(bare.p50, bare.p99).padEnd(16)}${pair(ve.p50, ve.p99).padEnd(16)}${f1(ve.rps).padStart(7)}   ` +
          `${statusLine(ve)}; ${statusLine(bare)} (stub service p50 ${f1(pct(service, 50))} ms)`,
      );
    }
    log("");
    log(
      "overhead, ms p50 / p99: vs stub = voice-edge minus stub direct (the issue's definition) = " +
        "local runtime (bare proxy minus stub) + voice-edge's own (voice-edge minus bare proxy)",
    );
    log(
      `${"route".padEnd(12)}${"conc".padStart(5)}  ${"vs stub".padEnd(16)}` +
        `${"local runtime".padEnd(16)}${"voice-edge's own".padEnd(18)}minus nominal delay`,
    );
    const verdicts = [];
    for (const { name, connections, direct, bare, ve } of rows) {
      const v = {
        name,
        connections,
        o50: ve.p50 - direct.p50,
        o99: ve.p99 - direct.p99,
        runtime50: bare.p50 - direct.p50,
        runtime99: bare.p99 - direct.p99,
        own50: ve.p50 - bare.p50,
        own99: ve.p99 - bare.p99,
      };
      log(
        `${name.padEnd(12)}${String(connections).padStart(5)}  ${pair(v.o50, v.o99).padEnd(16)}` +
          `${pair(v.runtime50, v.runtime99).padEnd(16)}${pair(v.own50, v.own99).padEnd(18)}` +
          `${pair(ve.p50 - delayMs, ve.p99 - delayMs)}`,
      );
      verdicts.push(v);
    }
    log("");
    log(
      `target (issue 7): gateway overhead ≤ ${TARGET_P50_MS} ms at ` +
        "p50 (voice-edge p50 minus the stub's direct p50)",
    );
    for (const v of verdicts)
      log(
        `  ${v.name.padEnd(11)} concurrency ${String(v.connections).padStart(2)}: ` +
          `${f1(v.o50)} ms -> ${v.o50 <= TARGET_P50_MS ? "MET" : "NOT MET"} (local ` +
          `runtime ${f1(v.runtime50)} ms, voice-edge's own ${f1(v.own50)} ms)`,
      );
    if (stub.stats().bad)
      log(`  (the stub refused ${stub.stats().bad} malformed requests: the adapter and the stub disagree)`);
    return { rows, verdicts };
  } finally {
    await Promise.all(servers.map((x) => x.stop()));
    await stub.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { machineLines } = await import("./lib/machine.mjs");
  for (const line of machineLines()) console.log(line);
  try {
    await runGateway(parseTurnsArgs(process.argv.slice(2)));
  } catch (err) {
    console.error(`bench:gateway failed: ${err.message}`);
    process.exitCode = 1;
  }
}
