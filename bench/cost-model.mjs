// bench:cost — the platform cost of 1M calls on Cloudflare (issue 7, part 3). Runnable alone
// (`npm run bench:cost -- [--speech] [--sync-seconds 60] [--turns 10] [--minutes 3] [--cpu-ms 5] [--turn-ms 40]
// [--miss 0.05] [--r2-kib 6000]`) or from `npm run bench`, which passes what the local run measured (turn wall time,
// the R2 bytes a call leaves, the TTS cache miss share, D1 rows) so the printed counts can be checked against it.
//
// PRICES: USD list prices (Workers Paid), from ../shared/reference/providers.md ("Prices (USD, list,
// for the cost model)"), which takes them from these pages; checked 2026-11-26:
//   Workers          https://developers.cloudflare.com/workers/platform/pricing/         (from providers.md)
//   Durable Objects  https://developers.cloudflare.com/durable-objects/platform/pricing/ (confirmed 2026-11-26
//                    with the search tool: $0.15/M requests, RPC method call = 1 request, alarm
//                    invocations are requests, $12.50/M GB-s, idle objects eligible for hibernation not billed)
//   D1               https://developers.cloudflare.com/d1/platform/pricing/               (from providers.md)
//   R2               https://developers.cloudflare.com/r2/pricing/                        (from providers.md)
//   Workers Logs     https://developers.cloudflare.com/workers/observability/logs/workers-logs/#pricing
//                    (confirmed 2026-11-26 in cloudflare/cloudflare-docs: 20M log events a month included,
//                    then $0.60 per million; every console line and every invocation log is an event)
//   Analytics Engine https://developers.cloudflare.com/analytics/analytics-engine/pricing/ (confirmed
//                    2026-11-26: 10M data points a month included, then $0.25 per million)
// Free allowances (e.g. 10M Workers requests, 1M DO requests, 400,000 GB-s a month) are left out:
// at 1M calls a month they are small next to the totals, and leaving them out overstates, never hides.
import { readFileSync } from "node:fs";

export const PRICES = {
  workersRequest: 0.3 / 1e6,
  workersCpuMs: 0.02 / 1e6,
  doRequest: 0.15 / 1e6,
  doGbS: 12.5 / 1e6,
  doRowRead: 0.001 / 1e6,
  doRowWritten: 1.0 / 1e6,
  doStorageGbMonth: 0.2,
  d1RowRead: 0.001 / 1e6,
  d1RowWritten: 1.0 / 1e6,
  d1StorageGbMonth: 0.75,
  r2ClassA: 4.5 / 1e6,
  r2ClassB: 0.36 / 1e6,
  r2StorageGbMonth: 0.015,
  logEvent: 0.6 / 1e6,
  aeDataPoint: 0.25 / 1e6,
};

/**
 * What the shipped wrangler.toml asks of Workers Logs: [observability] and [observability.logs]
 * (enabled, head_sampling_rate, invocation_logs), read with a few patterns rather than a TOML parser.
 */
export function logSettings(file = new URL("../wrangler.toml", import.meta.url)) {
  const text = readFileSync(file, "utf8");
  const section = (name) => {
    const m = new RegExp(`^\\[${name.replace(".", "\\.")}\\]\\s*$([\\s\\S]*?)(?=^\\[|(?![\\s\\S]))`, "m").exec(text);
    return m?.[1] ?? "";
  };
  const value = (body, key) =>
    body
      .matchAll(/^\s*(\S+)\s*=\s*([^#\n]+)/gm)
      .find((m) => m[1] === key)?.[2]
      .trim();
  const top = section("observability");
  const logs = section("observability.logs");
  const enabled = (value(logs, "enabled") ?? value(top, "enabled")) === "true";
  const sampling = Number(value(logs, "head_sampling_rate") ?? value(top, "head_sampling_rate") ?? 1);
  const invocationLogs = (value(logs, "invocation_logs") ?? "true") === "true";
  return { enabled, sampling, invocationLogs };
}
export const TARGET_PER_MILLION = 60;
/**
 * A number the Worker's source sets, read from it (as logSettings reads wrangler.toml) so the
 * model cannot drift from the code: the first capture of `pattern` in `file` (repository-relative).
 */
function fromSource(file, pattern) {
  const m = pattern.exec(readFileSync(new URL(`../${file}`, import.meta.url), "utf8"));
  if (!m) throw new Error(`bench/cost-model.mjs: ${pattern} not found in ${file}`);
  return Number(m[1]);
}

/** Turns the session row holds before they move to a history row. */
const TAIL_TURNS = fromSource("src/storage/call-store.ts", /^export const TAIL_TURNS = (\d+);/m);
/** SYNC_INTERVAL_SECONDS's default. */
const SYNC_SECONDS_DEFAULT = fromSource("src/config/config.ts", /SYNC_INTERVAL_SECONDS: intVar\((\d+),/);
const DO_MEMORY_GB = 0.128; // billed at 128 MB while active

/**
 * The operations one call makes: created (spoken greeting), `turns` text turns with the default
 * reply (spoken by local TTS through the R2 cache), ended by the client, archived. Each line says
 * where it comes from. Rows written are SQLite's own count (what Cloudflare bills, index entries
 * included): the per-turn and per-sync figures are asserted in tests (test/durable/call-sync.test.ts:
 * one row in the call's object a turn; test/storage/warm-turn-rows.test.ts: the archive's D1 rows),
 * and `npm run bench` prints what a local call really wrote next to this model. Rows read are
 * estimates; priced at $0.001/M they do not matter.
 */
/**
 * Syncs of a live call (D1 index row, audit uses, metric deltas) come at most once an interval of
 * conversation (SYNC_INTERVAL_SECONDS, 90 unless set; call-session.ts applyTurn): queued by the
 * first turn after the last sync, run by the alarm that long after; the end's archive carries the
 * rest. A 3-minute call: 2 at 60 s, 1 at 90 or 120 s.
 */
export function midCallSyncs(p) {
  return Math.max(0, Math.min(p.turns, Math.ceil((p.minutes * 60) / p.syncSeconds) - 1));
}

/**
 * Rows a call's object writes (src/storage/call-store.ts): create 1 (the session row, with the
 * greeting); a turn 1 (the session row carries the turn, its audit use, metric deltas and the
 * queued sync), plus one history row each time the tail of TAIL_TURNS (16) turns moves out (the
 * greeting is its first group, so at turn 15, 31, ...; a plain rowid table: no AUTOINCREMENT
 * sequence row, test/durable/call-sync.test.ts asserts the 2 rows of that turn); a sync 1
 * (clearPending, which completes the sync job) + its alarm (assumed 1 row); the end none: the
 * ended call is archived and its slot released before anything is written, then the object
 * empties (deleteAll; not counted as rows written). Only an end whose archive or release fails
 * writes its row (test/durable/archive-outbox.test.ts asserts both).
 * Speech turns also keep the caller's audio in the object until the archive: one row a turn (a
 * part of up to 1 MiB in the WITHOUT ROWID audio_parts table, test/durable/call-sync.test.ts
 * asserts the turn's 2 rows), which the archive then writes into its one object.
 */
export function callObjectRows({ turns, syncs = 0, speech = false }) {
  return 1 + turns + Math.floor((turns + 1) / TAIL_TURNS) + 2 * syncs + (speech ? turns : 0);
}

/**
 * The app's log lines for one call (src/observability/log.ts): one per request, where the
 * create's, each turn's and the end's are their call events (call_started, turn, call_ended) with
 * the request's fields, and archive_written, which no request line carries. A mid-call sync
 * writes none (test/observability/logs.test.ts asserts the lines of a call).
 */
export function callLogLines({ turns }) {
  return turns + 2 + 1;
}

/**
 * Rows a call writes to D1, by D1's own rows_written (index entries count; test/storage/d1-rows.test.ts
 * asserts each): create 3 (the calls row, its primary key's index, calls_by_tenant_created); a sync
 * 3 (the calls row, no indexed column changed; one audit row for all its uses, with its
 * audit_by_tenant_at entry); the archive 4 (the ended row and its partial ended-calls entry, the
 * audit row). The archive's figure is also what `npm run bench` prints for a local call.
 */
export const D1_ROWS = { create: 3, sync: 3, archive: 4 };
export function callD1Rows({ syncs }) {
  return D1_ROWS.create + D1_ROWS.sync * syncs + D1_ROWS.archive;
}

const plural = (n, what) => `${n} ${what}${n === 1 ? "" : "s"}`;

/** What operations cost per 1M calls, in USD. */
const usdPerMillion = (o) => o.count * PRICES[o.unit] * 1e6;
const totalPerMillion = (ops) => ops.reduce((a, o) => a + usdPerMillion(o), 0);

/** The operations of one call of shape `p`; `p.logs` is wrangler.toml's log settings (logSettings()). */
export function operations(p) {
  const n = p.turns;
  const syncs = midCallSyncs(p);
  const req = n + 2; // POST /calls, n × POST /calls/{id}/turns, POST /calls/{id}/end
  const replies = n + 1; // the greeting and one reply per turn
  const misses = p.ttsMissShare * replies;
  const objectRows = callObjectRows({ turns: n, syncs, speech: p.speech });
  const d1Rows = callD1Rows({ syncs });
  // Workers Logs: the app's own lines, and (if on) one invocation log per invocation.
  const logs = p.logs;
  const logLines = callLogLines({ turns: n });
  const shardUpdates = 1 + syncs + 1; // the start at create, each sync, the archive
  // Worker, CallSession (RPCs + alarms), TenantLimits, MetricsShard
  const invocations = req + (req + syncs) + (req + 2) + shardUpdates;
  return [
    // ---- Workers
    {
      product: "Workers",
      item: "requests",
      unit: "workersRequest",
      count: req,
      from: "create + turns + end (src/http/routes/calls.ts, turns.ts)",
    },
    {
      product: "Workers",
      item: "CPU ms",
      unit: "workersCpuMs",
      count: req * p.cpuMsPerRequest,
      from: `assumed ${p.cpuMsPerRequest} ms a request (auth hash, JSON, zod): wrangler dev cannot measure it`,
    },
    // ---- Durable Objects: requests
    {
      product: "Durable Objects",
      item: "TenantLimits.authorize RPC",
      unit: "doRequest",
      count: req,
      from: "every tenant-key request: key check and rate limit in one RPC (src/http/middleware/auth.ts)",
    },
    {
      product: "Durable Objects",
      item: "TenantLimits.acquireCall / releaseCall RPC",
      unit: "doRequest",
      count: 2,
      from: "create (acquireCallSlot) and the release outbox job at end (src/pipeline/lifecycle/release-job.ts)",
    },
    {
      product: "Durable Objects",
      item: "CallSession RPC (create, turn, end)",
      unit: "doRequest",
      count: req,
      from: "src/http/routes/call-stub.ts onCall / callStub(...).create",
    },
    {
      product: "Durable Objects",
      item: "CallSession alarms",
      unit: "doRequest",
      count: syncs,
      from: `the debounced sync: at most one alarm per ${p.syncSeconds} s of conversation (SYNC_INTERVAL_SECONDS)`,
    },
    {
      product: "Durable Objects",
      item: "MetricsShard.add RPC",
      unit: "doRequest",
      count: shardUpdates,
      from:
        "the call's start at create (voice_calls_active counts it at once; CallSession.countStart), then one per " +
        "sync (the call's metric deltas since the last), incl. the archive " +
        "(src/pipeline/lifecycle/archive-jobs.ts flushPending)",
    },
    // ---- Durable Objects: duration (only while handling a request: idle objects hibernate unbilled)
    {
      product: "Durable Objects",
      item: "duration GB-s",
      unit: "doGbS",
      count: (DO_MEMORY_GB * (req * p.turnMs + (syncs + req + 2 + shardUpdates) * p.smallDoMs)) / 1000,
      from:
        `128 MB × (CallSession RPCs × ${p.turnMs} ms (${p.turnMsSource}) + ` +
        `alarms, TenantLimits and shard RPCs × ${p.smallDoMs} ms)`,
    },
    // ---- Durable Objects: SQLite rows written
    {
      product: "Durable Objects",
      item: "SQLite rows written: TenantLimits",
      unit: "doRowWritten",
      count: 2,
      from:
        "active_calls_v2 INSERT and DELETE (WITHOUT ROWID, no index); key records " +
        "and the bucket are in memory only (src/durable/tenant-limits.ts)",
    },
    {
      product: "Durable Objects",
      item: "SQLite rows written: CallSession",
      unit: "doRowWritten",
      count: objectRows,
      from:
        `create 1, a turn ${p.speech ? "2 (session row + caller audio)" : "1"} (+1 every ${TAIL_TURNS} ` +
        `turns), a sync 2 (${syncs}), the end 0 (archived before it writes); test/durable/call-sync.test.ts ` +
        `asserts the turn's ${p.speech ? "2" : "1"}, npm run bench prints a local call's own count`,
    },
    {
      product: "Durable Objects",
      item: "SQLite rows written: MetricsShard",
      unit: "doRowWritten",
      count: shardUpdates,
      from: "one row a shard update: every series of a shard is one JSON row (src/durable/metrics-shard.ts)",
    },
    {
      product: "Durable Objects",
      item: "SQLite rows read",
      unit: "doRowRead",
      count: 20 * n + 20,
      from: "estimate: session row reads, outbox scans, history/audio read at archive",
    },
    // ---- D1
    {
      product: "D1",
      item: "rows read: key lookup",
      unit: "d1RowRead",
      count: 2 + 2,
      from: "verifyKey on an isolate's cache miss, callIdRecorded at create",
    },
    {
      product: "D1",
      item: "rows written: index, audit, archive",
      unit: "d1RowWritten",
      count: d1Rows,
      from:
        "create 3 (calls row, its primary key index, its calls_by_tenant_created entry), a sync 3 " +
        "(calls row, one audit row + index for all its uses), archive 4 (row + partial index, " +
        "audit row + index): D1's own rows_written, test/storage/d1-rows.test.ts",
    },
    // ---- R2
    {
      product: "R2",
      item: "Class B: TTS cache GETs",
      unit: "r2ClassB",
      count: replies,
      from:
        "readCachedSpeech per spoken reply (src/storage/speech-cache.ts); " +
        "a generated call id needs no archive HEAD at create",
    },
    {
      product: "R2",
      item: "Class A: TTS cache PUTs",
      unit: "r2ClassA",
      count: misses,
      from: `writeCachedSpeech on a cache miss (${(p.ttsMissShare * 100).toFixed(1)}% of replies, ${p.missSource})`,
    },
    // ---- Observability
    {
      product: "Workers Logs",
      item: "log events: the app's structured lines",
      unit: "logEvent",
      count: logs.enabled ? logLines * logs.sampling : 0,
      from:
        `${logLines} a call: one line per request (${req}: the create's, the turns' and the end's ` +
        "are call_started, turn and call_ended with the request's fields), archive_written; none per " +
        "sync (src/observability/log.ts)" +
        (logs.enabled
          ? logs.sampling < 1
            ? `, × head_sampling_rate ${logs.sampling}`
            : ""
          : "; Workers Logs off in wrangler.toml"),
    },
    {
      product: "Workers Logs",
      item: "log events: invocation logs",
      unit: "logEvent",
      count: logs.enabled && logs.invocationLogs ? invocations * logs.sampling : 0,
      from:
        `${invocations} invocations a call (requests, Durable Object RPCs and alarms): ` +
        (logs.enabled && logs.invocationLogs
          ? "on"
          : "off (invocation_logs = false in wrangler.toml: the request line carries the same)"),
    },
    {
      product: "Analytics Engine",
      item: "data points",
      unit: "aeDataPoint",
      count: n,
      from: "one per turn (src/pipeline/metrics.ts writeTurnDataPoint)",
    },
    {
      product: "R2",
      item: "Class A: archive PUTs",
      unit: "r2ClassA",
      count: 1,
      from: p.speech
        ? "one object: the transcript followed by the caller's audio (archive version 4); " +
          "replies are referenced in the speech cache (src/pipeline/lifecycle/archive-jobs.ts)"
        : "one object, the transcript: replies are referenced in the speech cache, not " +
          "copied, and there is no caller audio (src/pipeline/lifecycle/archive-jobs.ts)",
    },
  ];
}

export const DEFAULTS = {
  syncSeconds: SYNC_SECONDS_DEFAULT,
  speech: false,
  turns: 10,
  minutes: 3,
  cpuMsPerRequest: 5,
  turnMs: 40,
  turnMsSource: "assumed",
  smallDoMs: 2,
  ttsMissShare: 0.05,
  missSource: "assumed",
  r2KiB: 6000,
  r2Source: "assumed",
  d1KiB: 8,
  retentionMonths: 1,
};

export function costModel(input = {}, log = console.log) {
  const p = { ...DEFAULTS, ...input };
  p.logs ??= logSettings();
  const ops = operations(p);
  const M = 1e6;
  log(`\n== Scale model (bench/cost-model.mjs): platform cost per 1M calls ==`);
  log(
    `call shape: ${p.turns} ${p.speech ? "speech" : "text"} turns, ${p.minutes} minutes, default reply (local ` +
      "TTS via the R2 cache), client ends the call; list prices from ../shared/reference/providers.md (DO prices " +
      "confirmed at developers.cloudflare.com/durable-objects/platform/pricing/ " +
      "on 2026-11-26), free allowances ignored",
  );
  log("");
  log(
    `${"product".padEnd(18)}${"operation".padEnd(46)}${"per call".padStart(10)}${"$ per 1M calls".padStart(16)}   from`,
  );
  const byProduct = {};
  for (const o of ops) {
    const usd = usdPerMillion(o);
    byProduct[o.product] = (byProduct[o.product] ?? 0) + usd;
    log(
      `${o.product.padEnd(18)}${o.item.padEnd(46)}` +
        `${(o.count < 10 ? o.count.toFixed(3) : o.count.toFixed(1)).padStart(10)}` +
        `${usd.toFixed(2).padStart(16)}   ${o.from}`,
    );
  }
  const oneOff = Object.values(byProduct).reduce((a, b) => a + b, 0);
  const r2Storage = (p.r2KiB / 2 ** 20) * M * PRICES.r2StorageGbMonth; // GB kept for one month
  const d1Storage = (p.d1KiB / 2 ** 20) * M * PRICES.d1StorageGbMonth;
  log("");
  log("per 1M calls, by product (requests, compute, rows, operations):");
  for (const [k, v] of Object.entries(byProduct))
    log(`  ${k.padEnd(18)} $${v.toFixed(2).padStart(8)}  (${((v / oneOff) * 100).toFixed(0)}%)`);
  log(
    `  ${"total".padEnd(18)} $${oneOff.toFixed(2).padStart(8)}  = ` +
      `$${(oneOff / M).toFixed(6)} a call, $${(oneOff / (M * p.minutes)).toFixed(7)} a minute`,
  );
  log(
    `storage, per month the 1M calls are kept: R2 $${r2Storage.toFixed(2)} (${p.r2KiB.toFixed(0)} KiB a ` +
      `call, ${p.r2Source}; COLD_RETENTION_DAYS=365 keeps it 12 months: $${(r2Storage * 12).toFixed(2)}), ` +
      `D1 $${d1Storage.toFixed(2)} (${p.d1KiB} KiB a call assumed, WARM_RETENTION_DAYS=30)`,
  );
  const withMonth = oneOff + r2Storage + d1Storage;
  log("");
  log(`target (issue 7): ≤ $${TARGET_PER_MILLION} per 1M three-minute calls of 10 turns`);
  log(
    `  operations only:                 $${oneOff.toFixed(2)} -> ${oneOff <= TARGET_PER_MILLION ? "MET" : "NOT MET"}`,
  );
  log(
    `  with one month of storage:       $${withMonth.toFixed(2)} -> ` +
      `${withMonth <= TARGET_PER_MILLION ? "MET" : "NOT MET"}`,
  );
  // The same call with the other settings a deployer can choose: the sync interval, Workers Logs.
  const variant = (changes) => totalPerMillion(operations({ ...p, ...changes }));
  const verdict = (usd) => (usd <= TARGET_PER_MILLION ? "MET" : "NOT MET");
  // The sync interval: a minute (turn figures, audit log and list view fresher) and two (cheaper).
  for (const syncSeconds of [60, 120].filter((x) => x !== p.syncSeconds)) {
    const other = variant({ syncSeconds });
    log(
      `  with SYNC_INTERVAL_SECONDS=${syncSeconds} (turn figures, audit log and list view up to ` +
        `${syncSeconds} s behind a live call; ` +
        `${plural(midCallSyncs({ ...p, syncSeconds }), "mid-call sync")}, against ${midCallSyncs(p)} by ` +
        `default): $${other.toFixed(2)} -> ${verdict(other)}`,
    );
  }
  const off = variant({ logs: { enabled: false, sampling: 1, invocationLogs: false } });
  const withInvocations = variant({ logs: { ...p.logs, enabled: true, invocationLogs: true } });
  log(
    `  Workers Logs in this figure: $${(byProduct["Workers Logs"] ?? 0).toFixed(2)} (wrangler.toml ` +
      "[observability.logs]); the same call with Workers Logs off (lines to LOG_SINK_URL or wrangler tail only): " +
      `$${off.toFixed(2)} -> ${verdict(off)}; with invocation logs on as well: $${withInvocations.toFixed(2)}`,
  );
  const tl =
    totalPerMillion(ops.filter((o) => o.item.startsWith("TenantLimits"))) +
    ops.find((o) => o.item === "SQLite rows written: TenantLimits").count * PRICES.doRowWritten * M;
  log(`  of which the per-request TenantLimits RPC (requests + its rows) $${tl.toFixed(2)}`);
  return { ops, byProduct, oneOff, r2Storage, d1Storage, withMonth };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const o = {};
  const argv = process.argv.slice(2);
  const names = {
    "--sync-seconds": "syncSeconds",
    "--speech": "speech",
    "--turns": "turns",
    "--minutes": "minutes",
    "--cpu-ms": "cpuMsPerRequest",
    "--turn-ms": "turnMs",
    "--miss": "ttsMissShare",
    "--r2-kib": "r2KiB",
    "--d1-kib": "d1KiB",
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split("=", 2);
    if (!names[flag]) {
      console.error(`bench:cost: unknown option ${flag}; options: ${Object.keys(names).join(" ")}`);
      process.exit(2);
    }
    o[names[flag]] = flag === "--speech" ? true : Number(inline ?? argv[++i]);
  }
  costModel(o);
}
