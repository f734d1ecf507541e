// bench:gateway — what voice-edge adds on top of a speech provider (issue 7, part 2).
// Starts a provider stub (bench/lib/provider-stub.mjs: OpenAI's wire format from bench/fault-wire.mjs,
// every answer after a fixed delay) and a `wrangler dev` of voice-edge with STT_PROVIDERS=openai,
// TTS_PROVIDERS=openai, OPENAI_BASE_URL=<stub> and the TTS cache off (TTS_CACHE_TTL_SECONDS=0, so
// every synthesis reaches the stub). Then, at each concurrency, measures with autocannon:
//   the stub directly   POST /v1/audio/transcriptions (multipart, the fixture) and /v1/audio/speech (pcm);
//   voice-edge          POST /api/v1/voice/transcribe (audio/wav body) and /api/v1/voice/synthesize (wav).
// Prints our latency minus the stub's own measured latency (and minus its nominal delay) at p50/p99.
// Alone: node bench/gateway.mjs [--duration 5] [--warmup 1] [--concurrency 1,8] [--delay 50]
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { benchKey, client } from "./lib/api.mjs";
import { ADMIN_TOKEN } from "./lib/api.mjs";
import { ROOT, startDevServer } from "./lib/dev-server.mjs";
import { f1, load, pct, statusLine } from "./lib/load.mjs";
import { startProviderStub } from "./lib/provider-stub.mjs";
import { parseTurnsArgs, voiceEdgeVars } from "./turns.mjs";

const AUDIO = readFileSync(join(ROOT, "test", "fixtures", "audio", "balance-16k.wav"));
const SENTENCE = "Your balance is one hundred and twenty dollars and fifty cents.";
export const TARGET_P50_MS = 5;

function multipart(fields, file) {
  const boundary = "----bench" + Math.random().toString(16).slice(2);
  const parts = Object.entries(fields).map(([k, v]) => Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="audio.wav"\r\nContent-Type: audio/wav\r\n\r\n`), file, Buffer.from(`\r\n--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

export async function runGateway(o, log = console.log) {
  const delayMs = o.delayMs ?? 50;
  const concurrency = o.gatewayConcurrency ?? [1, 8];
  log(`\n== Gateway overhead (bench/gateway.mjs) ==`);
  log(`parameters: provider stub answering ${delayMs} ms after each request; concurrency ${concurrency.join(", ")}; ${o.warmupS} s warm-up + ${o.durationS} s measured per run; transcribe ${AUDIO.length} bytes (test/fixtures/audio/balance-16k.wav), synthesize ${SENTENCE.length} characters to wav; TTS cache off`);
  const stub = await startProviderStub({ delayMs });
  let edge;
  try {
    edge = await startDevServer({
      label: "voice-edge-gateway",
      vars: voiceEdgeVars(["STT_PROVIDERS=openai", "TTS_PROVIDERS=openai", `OPENAI_BASE_URL=${stub.url}`, "TTS_CACHE_TTL_SECONDS=0"]),
      migrate: true,
      signal: o.signal,
    });
    log(`stub ${stub.url}, voice-edge ${edge.base}`);
    const api = client(edge.base);
    const key = await benchKey(api, ADMIN_TOKEN, "bench-gateway");
    const t = await api.must("/api/v1/voice/transcribe", { method: "POST", token: key, body: AUDIO, contentType: "audio/wav" });
    const s = await api.request("/api/v1/voice/synthesize", { method: "POST", token: key, json: { text: SENTENCE } });
    if (s.status !== 200 || t.provider !== "openai" || s.headers.get("x-voice-provider") !== "openai") throw new Error(`voice-edge did not use the stub: transcribe ${JSON.stringify(t).slice(0, 200)}; synthesize ${s.status} ${s.headers.get("x-voice-provider")}`);
    log(`check: transcribe -> "${t.text}" from ${t.provider}@${t.region}; synthesize -> ${s.headers.get("content-type")} from ${s.headers.get("x-voice-provider")} (cache ${s.headers.get("x-voice-cache")})`);

    const mp = multipart({ model: "whisper-1", response_format: "json" }, AUDIO);
    const speechBody = JSON.stringify({ model: "tts-1", input: SENTENCE, voice: "alloy", response_format: "pcm" });
    const auth = { authorization: `Bearer ${key}` };
    const cases = [
      {
        name: "transcribe",
        direct: () => ({ method: "POST", path: "/v1/audio/transcriptions", headers: { "content-type": mp.contentType }, body: mp.body }),
        ours: () => ({ method: "POST", path: "/api/v1/voice/transcribe", headers: { ...auth, "content-type": "audio/wav" }, body: AUDIO }),
        served: "transcriptions",
      },
      {
        name: "synthesize",
        direct: () => ({ method: "POST", path: "/v1/audio/speech", headers: { "content-type": "application/json" }, body: speechBody }),
        ours: () => ({ method: "POST", path: "/api/v1/voice/synthesize", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ text: SENTENCE }) }),
        served: "speech",
      },
    ];
    const rows = [];
    for (const connections of concurrency) {
      for (const c of cases) {
        const run = { durationS: o.durationS, warmupS: o.warmupS, connections };
        const direct = await load({ ...run, base: stub.url, request: c.direct });
        stub.reset();
        const ours = await load({ ...run, base: edge.base, warmupS: 0, request: c.ours });
        const service = stub.stats()[c.served].sort((a, b) => a - b); // the stub's own time for our requests
        rows.push({ name: c.name, connections, direct, ours, service });
      }
    }
    log("");
    log(`${"route".padEnd(12)}${"conc".padStart(5)}${"  stub direct p50/p99 ms".padEnd(26)}${"voice-edge p50/p99 ms".padEnd(24)}${"req/s".padStart(7)}   ${"overhead p50/p99 ms".padEnd(22)}${"minus nominal delay p50/p99".padEnd(30)}answers`);
    const verdicts = [];
    for (const { name, connections, direct, ours, service } of rows) {
      const o50 = ours.p50 - direct.p50;
      const o99 = ours.p99 - direct.p99;
      log(
        `${name.padEnd(12)}${String(connections).padStart(5)}  ${`${f1(direct.p50)} / ${f1(direct.p99)}`.padEnd(24)}${`${f1(ours.p50)} / ${f1(ours.p99)}`.padEnd(24)}${f1(ours.rps).padStart(7)}   ${`${f1(o50)} / ${f1(o99)}`.padEnd(22)}${`${f1(ours.p50 - delayMs)} / ${f1(ours.p99 - delayMs)}`.padEnd(30)}${statusLine(ours)} (stub service p50 ${f1(pct(service, 50))} ms)`,
      );
      verdicts.push({ name, connections, o50, o99 });
    }
    log("");
    log(`target (issue 7): gateway overhead ≤ ${TARGET_P50_MS} ms at p50 (voice-edge p50 minus the stub's direct p50)`);
    for (const v of verdicts) log(`  ${v.name.padEnd(11)} concurrency ${String(v.connections).padStart(2)}: ${f1(v.o50)} ms -> ${v.o50 <= TARGET_P50_MS ? "MET" : "NOT MET"}`);
    if (stub.stats().bad) log(`  (the stub refused ${stub.stats().bad} malformed requests: the adapter and the stub disagree)`);
    return { rows, verdicts };
  } finally {
    await edge?.stop();
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
