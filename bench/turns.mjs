// bench:turns — turn overhead against a bare baseline (issue 7, part 1).
// Starts two local Workers of its own (bench/lib/dev-server.mjs, both the same way): voice-edge (STT none, TTS local,
// per-tenant limits raised out of the way) and the bare baseline of bench/baseline/ (route -> Durable
// Object RPC -> one SQLite write -> JSON). Then, at each concurrency, drives POST .../turns text turns
// with autocannon over `calls` calls: baseline, voice-edge ?reply=text, voice-edge default reply
// (local TTS, its R2 cache in play). Prints turns/s and p50/p95/p99, and the ratios to the baseline.
// Alone: node bench/turns.mjs [--duration 5] [--warmup 1] [--concurrency 1,8,32] [--calls 50] [--url http://host:port]
// (--url: an already-running voice-edge instead of our own; ADMIN_TOKEN from the environment; its
// per-tenant limits must be raised or it measures 429s.)
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { callLogLines, callObjectRows, D1_ROWS } from "./cost-model.mjs";
import { ADMIN_TOKEN, benchKey, client, UNLIMITED } from "./lib/api.mjs";
import { ROOT, startDevServer } from "./lib/dev-server.mjs";
import { f1, f2, load, statusLine } from "./lib/load.mjs";

const UTTERANCES = [
  "I would like to check my account balance please",
  "I have a question about my bill",
  "my internet is not working",
  "can you help me",
];
export const TARGETS = { throughput: 0.7, p99: 1.5 };

/**
 * The compatibility date and flags and the build's keep_names of a wrangler.toml (they must match for a fair baseline).
 */
export function compat(file) {
  const toml = readFileSync(file, "utf8");
  return (
    `${/^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1]} ` +
    `${/^compatibility_flags\s*=\s*(\[[^\]]*\])/m.exec(toml)?.[1]} ` +
    `keep_names=${/^keep_names\s*=\s*(\w+)/m.exec(toml)?.[1] ?? "true"}`
  );
}

export function voiceEdgeVars(extra = []) {
  return [
    `ADMIN_TOKEN=${ADMIN_TOKEN}`,
    `ARCHIVE_KEYS=bench:${randomBytes(32).toString("base64")}`,
    ...UNLIMITED,
    "STT_PROVIDERS=",
    "TTS_PROVIDERS=local",
    ...extra,
  ];
}

export async function runTurns(o, log = console.log) {
  const ours = compat(join(ROOT, "wrangler.toml"));
  const theirs = compat(join(ROOT, "bench", "baseline", "wrangler.toml"));
  if (ours !== theirs)
    throw new Error(`bench/baseline/wrangler.toml has compatibility ${theirs}, wrangler.toml ${ours}: make them match`);
  log(`\n== Turn overhead (bench/turns.mjs) ==`);
  log(
    `parameters: concurrency ${o.concurrency.join(", ")}; ${o.calls} calls per run; ${o.warmupS} s warm-up + ` +
      `${o.durationS} s measured per run; text turns ("${UTTERANCES[0]}", ...); compatibility ${ours}`,
  );
  const servers = [];
  // The worker's own count of rows written (SQLite's, D1's), from its archive_written lines.
  const storageLines = [];
  // How many structured lines the Worker has written (src/observability/log.ts): the cost model prices them as Workers
  // Logs events.
  const eventLines = { count: 0 };
  try {
    log("starting the Workers: baseline and voice-edge (D1 migrations first) ...");
    const t0 = performance.now();
    const [baseline, edge] = await Promise.all([
      startDevServer({
        label: "baseline",
        source: join(ROOT, "bench", "baseline"),
        entries: ["worker.js", "wrangler.toml"],
        vars: ["BENCH=1"],
        signal: o.signal,
      }).then((s) => (servers.push(s), s)),
      o.url
        ? Promise.resolve({ base: o.url })
        : startDevServer({
            label: "voice-edge",
            vars: voiceEdgeVars(),
            migrate: true,
            signal: o.signal,
            onLine: (line) => {
              if (line.includes('{"event":"')) eventLines.count++;
              if (line.includes('"event":"archive_written"')) storageLines.push(line);
            },
          }).then((s) => (servers.push(s), s)),
    ]);
    log(
      `ready in ${((performance.now() - t0) / 1000).toFixed(1)} s: baseline ` +
        `${baseline.base}, voice-edge ${edge.base}${o.url ? " (given)" : ""}`,
    );

    const api = client(edge.base);
    const key = await benchKey(
      api,
      o.url ? (process.env.ADMIN_TOKEN ?? "dev-admin-token-change-me") : ADMIN_TOKEN,
      "bench-turns",
    );
    const auth = { authorization: `Bearer ${key}`, "content-type": "application/json" };
    const newCalls = async (n) => {
      const ids = [];
      for (let i = 0; i < n; i++)
        ids.push(
          (await api.must("/api/v1/calls?reply=text", { method: "POST", token: key, json: { userId: `bench-${i}` } }))
            .callId,
        );
      return ids;
    };
    const endCalls = (ids) =>
      Promise.all(ids.map((id) => api.request(`/api/v1/calls/${id}/end`, { method: "POST", token: key })));

    // One turn of each kind first: they must work (and local TTS must really speak).
    const [probe] = await newCalls(1);
    const textTurn = await api.must(`/api/v1/calls/${probe}/turns?reply=text`, {
      method: "POST",
      token: key,
      json: { text: UTTERANCES[0] },
    });
    const audioTurn = await api.must(`/api/v1/calls/${probe}/turns`, {
      method: "POST",
      token: key,
      json: { text: UTTERANCES[1] },
    });
    if (!audioTurn.reply.audio)
      throw new Error(`the default reply has no audio: ${JSON.stringify(audioTurn).slice(0, 300)}`);
    log(
      `check: reply=text turn -> intent ${textTurn.intent?.name}; default reply -> ` +
        `${audioTurn.reply.audio.format} ${audioTurn.reply.audio.sampleRate} Hz from ` +
        `${audioTurn.reply.audio.provider} (cache ${audioTurn.reply.audio.cache}), ` +
        `${Math.round((audioTurn.reply.audio.base64.length * 3) / 4)} bytes`,
    );
    await endCalls([probe]);

    let u = 0;
    const body = () => JSON.stringify({ text: UTTERANCES[u++ % UTTERANCES.length] });
    const rows = [];
    for (const connections of o.concurrency) {
      const baseIds = Array.from({ length: o.calls }, (_, i) => `base-${connections}-${i}`);
      const b = await load({
        base: baseline.base,
        connections,
        durationS: o.durationS,
        warmupS: o.warmupS,
        cpuSeconds: baseline.cpuSeconds,
        targets: baseIds,
        request: (id) => ({
          method: "POST",
          path: `/api/v1/calls/${id}/turns`,
          headers: { "content-type": "application/json" },
          body: body(),
        }),
      });
      rows.push({ name: "baseline", connections, r: b });
      for (const mode of ["text", "audio"]) {
        const ids = await newCalls(o.calls);
        const path =
          mode === "text" ? (id) => `/api/v1/calls/${id}/turns?reply=text` : (id) => `/api/v1/calls/${id}/turns`;
        const r = await load({
          base: edge.base,
          connections,
          durationS: o.durationS,
          warmupS: o.warmupS,
          cpuSeconds: edge.cpuSeconds,
          targets: ids,
          request: (id) => ({ method: "POST", path: path(id), headers: auth, body: body() }),
        });
        rows.push({
          name: mode === "text" ? "voice-edge reply=text" : "voice-edge local TTS",
          connections,
          r,
          baseline: b,
        });
        await endCalls(ids);
      }
    }

    log("");
    log(
      `${"run".padEnd(24)}${"conc".padStart(5)}${"turns/s".padStart(10)}${"p50 ms".padStart(9)}` +
        `${"p95 ms".padStart(9)}${"p99 ms".padStart(9)}${"max ms".padStart(9)}${"CPU ms".padStart(9)}   ` +
        `${"× base turns/s".padStart(14)}${"× base p99".padStart(11)}${"× base CPU".padStart(11)}   answers`,
    );
    const verdicts = [];
    for (const { name, connections, r, baseline: b } of rows) {
      const tput = b ? r.rps / b.rps : NaN;
      const p99 = b ? r.p99 / b.p99 : NaN;
      const cpu = b ? r.cpuMs / b.cpuMs : NaN;
      log(
        `${name.padEnd(24)}${String(connections).padStart(5)}${f1(r.rps).padStart(10)}` +
          `${f1(r.p50).padStart(9)}${f1(r.p95).padStart(9)}${f1(r.p99).padStart(9)}` +
          `${f1(r.max).padStart(9)}${f2(r.cpuMs).padStart(9)}   ${(b ? f2(tput) : "").padStart(14)}` +
          `${(b ? f2(p99) : "").padStart(11)}${(b ? f2(cpu) : "").padStart(11)}   ${statusLine(r)}`,
      );
      if (name === "voice-edge reply=text") verdicts.push({ connections, tput, p99, cpu });
    }
    log(
      "CPU ms: CPU time the Worker's processes (workerd, wrangler's Node process) spent per " +
        "answered turn, from /proc (n/a off Linux); the load generator's own is not in it",
    );
    log("");
    log(
      "targets (issue 7), reply=text turns: throughput ≥ " +
        `${TARGETS.throughput}× baseline, p99 ≤ ${TARGETS.p99}× baseline`,
    );
    for (const v of verdicts) {
      log(
        `  concurrency ${String(v.connections).padStart(2)}: throughput ${f2(v.tput)}× -> ` +
          `${v.tput >= TARGETS.throughput ? "MET" : "NOT MET"}; p99 ${f2(v.p99)}× -> ` +
          `${v.p99 <= TARGETS.p99 ? "MET" : "NOT MET"} (CPU per turn ${f2(v.cpu)}× the baseline's)`,
      );
    }

    let measured;
    if (!o.url) measured = await measureOneCall(api, key, edge, o.turnsPerCall ?? 10, log, storageLines, eventLines);
    return { rows, verdicts, measured };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

/**
 * The storage a call of `turns` default-reply text turns really leaves behind, read from the local
 * D1 and R2 (miniflare's SQLite files in the persist directory), for the cost model's sanity check.
 */
async function measureOneCall(api, key, edge, turns, log, storageLines = [], eventLines = { count: 0 }) {
  const { DatabaseSync } = await import("node:sqlite").catch(() => ({}));
  if (!DatabaseSync) {
    log("\n(sanity check skipped: node:sqlite is not available in this Node)");
    return undefined;
  }
  const tenantKey = await benchKey(api, ADMIN_TOKEN, "bench-cost");
  const linesBefore = eventLines.count;
  const { callId } = await api.must("/api/v1/calls", { method: "POST", token: tenantKey, json: { userId: "cost" } });
  for (let i = 0; i < turns; i++)
    await api.must(`/api/v1/calls/${callId}/turns`, {
      method: "POST",
      token: tenantKey,
      json: { text: UTTERANCES[i % UTTERANCES.length] },
    });
  const end = await api.must(`/api/v1/calls/${callId}/end`, { method: "POST", token: tenantKey });
  const files = (dir) => {
    try {
      return readdirSync(dir)
        .filter((f) => f.endsWith(".sqlite"))
        .map((f) => join(dir, f));
    } catch {
      return [];
    }
  };
  const out = {
    callId,
    turns,
    archive: end.archive,
    d1: {},
    r2: { objects: 0, bytes: 0, cacheObjects: 0, cacheBytes: 0 },
  };
  for (const file of files(join(edge.persist, "v3", "d1", "miniflare-D1DatabaseObject"))) {
    const db = new DatabaseSync(file, { readOnly: true });
    try {
      out.d1.calls = db.prepare("SELECT COUNT(*) AS n FROM calls WHERE call_id = ?").get(callId).n;
      out.d1.turns = db.prepare("SELECT COUNT(*) AS n FROM turns WHERE call_id = ?").get(callId).n;
      out.d1.audit = db
        .prepare("SELECT COUNT(*) AS n FROM audit_log WHERE tenant_id = 'bench-cost' AND action LIKE 'call.%'")
        .get().n;
    } catch {
      // not the voice-edge database
    } finally {
      db.close();
    }
  }
  for (const file of files(join(edge.persist, "v3", "r2", "miniflare-R2BucketObject"))) {
    const db = new DatabaseSync(file, { readOnly: true });
    try {
      for (const row of db.prepare("SELECT key, size FROM _mf_objects").all()) {
        if (row.key.includes(callId)) {
          out.r2.objects++;
          out.r2.bytes += Number(row.size);
        } else if (row.key.startsWith("cache/tts/")) {
          out.r2.cacheObjects++;
          out.r2.cacheBytes += Number(row.size);
        }
      }
    } catch {
      // not a bucket
    } finally {
      db.close();
    }
  }
  // The call's archive_written line: rows its object wrote since it started (SQLite's count) and D1's rows_written for
  // its archive batch.
  for (let i = 0; i < 50 && !storageLines.some((l) => l.includes(callId)); i++)
    await new Promise((r) => setTimeout(r, 100));
  const line = storageLines.find((l) => l.includes(callId) && l.includes("archive_written"));
  if (line) {
    const json = JSON.parse(line.slice(line.indexOf("{")));
    out.rowsWritten = { object: json.objectRowsWritten, d1Archive: json.d1RowsWritten };
  }
  // From the call's create to its archive_written line: the request lines and the call's events.
  out.logLines = eventLines.count - linesBefore;
  log(
    `\nlocal run, one call of ${turns} default-reply text turns then end (archive ${out.archive}), all within a ` +
      `minute (no mid-call sync): D1 calls rows ${out.d1.calls}, turns rows ${out.d1.turns}, audit rows ` +
      `${out.d1.audit}; R2 objects of the call ${out.r2.objects} (${(out.r2.bytes / 1024).toFixed(1)} KiB); TTS ` +
      `cache objects in R2 after the whole run ${out.r2.cacheObjects} ` +
      `(${(out.r2.cacheBytes / 1024).toFixed(1)} KiB)`,
  );
  if (out.rowsWritten)
    log(
      "rows written, by the worker's own count (archive_written line): the call's object " +
        `${out.rowsWritten.object} (the model says ${callObjectRows({ turns })} without syncs), D1 ` +
        `archive batch ${out.rowsWritten.d1Archive} (the model says ${D1_ROWS.archive})`,
    );
  else log("rows written: no archive_written line seen for the call");
  log(
    `log lines the Worker wrote for the call (create to archive): ${out.logLines} (the model says ` +
      `${callLogLines({ turns })}: a line per request, the create's, ` +
      "turns' and end's being their call events, and archive_written)",
  );
  return out;
}

export function parseTurnsArgs(argv, o = {}) {
  o.durationS ??= 5;
  o.warmupS ??= 1;
  o.concurrency ??= [1, 8, 32];
  o.calls ??= 50;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split("=", 2);
    const value = () => inline ?? argv[++i];
    if (flag === "--duration") o.durationS = Number(value());
    else if (flag === "--warmup") o.warmupS = Number(value());
    else if (flag === "--concurrency") o.concurrency = value().split(",").map(Number);
    else if (flag === "--calls") o.calls = Number(value());
    else if (flag === "--url") o.url = value().replace(/\/$/, "");
    else if (flag === "--delay") o.delayMs = Number(value());
    else o.rest = [...(o.rest ?? []), argv[i]];
  }
  return o;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { machineLines } = await import("./lib/machine.mjs");
  for (const line of machineLines()) console.log(line);
  try {
    await runTurns(parseTurnsArgs(process.argv.slice(2)));
  } catch (err) {
    console.error(`bench:turns failed: ${err.message}`);
    process.exitCode = 1;
  }
}
