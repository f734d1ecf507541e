// bench:cost — the platform cost of 1M calls on Cloudflare (issue 7, part 3), and the model tokens of
// an agent's call at the providers' list prices (issue 17). Runnable alone
// (`npm run bench:cost -- [--speech] [--sync-seconds 60] [--turns 10] [--minutes 3] [--cpu-ms 5] [--turn-ms 40]
// [--miss 0.05] [--r2-kib 6000] [--model all|gpt-4o-mini|claude-haiku-4-5|gemini-2.5-flash|llama-3.3-70b]
// [--instructions-tokens 500] [--tool-tokens 150] [--caller-tokens 20] [--reply-tokens 45] [--tool-share 0.2]
// [--leases-per-request 1] [--grants-per-request 0.4] [--speech-seconds 3]`)
// or from `npm run bench`, which passes what the local run measured (turn wall time, the R2 bytes a call
// leaves, the TTS cache miss share, D1 rows) so the printed counts can be checked against it.
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
//
// MODEL PRICES: USD list prices per 1M tokens, standard tier (no batch, no prompt caching), for the default
// model of each language-model adapter (src/providers/llm/settings.ts). ../shared/reference/providers.md
// lists Cloudflare's platform prices only, none for models. Checked on 2026-12-06 with the search tool
// (corpus "docs"): Anthropic's and Cloudflare's figures on their own pages (Cloudflare's in the
// cloudflare-docs source); OpenAI's and Google's in copies of their pages that agree (OpenRouter, Vercel's
// AI Gateway, a transcription of ai.google.dev's table), their own pages not being in the index:
//   OpenAI gpt-4o-mini          $0.15 input, $0.60 output  https://platform.openai.com/docs/pricing
//                               (also https://platform.openai.com/docs/models/gpt-4o-mini)
//   Anthropic claude-haiku-4-5  $1 input, $5 output  https://platform.claude.com/docs/en/models/haiku-4-5/overview
//                               ("Input pricing: $1 / MTok · Output pricing: $5 / MTok"; a legacy model there
//                               since Claude Haiku 5.5, still served)
//   Google gemini-2.5-flash     $0.30 input (text, image, video; audio $1.00), $2.50 output (thinking tokens
//                               included)                  https://ai.google.dev/gemini-api/docs/pricing
//   Workers AI @cf/meta/llama-3.3-70b-instruct-fp8-fast   26,668 neurons per 1M input tokens, 204,805 per 1M
//                               output, at $0.011 per 1,000 neurons ($0.293 / $2.253 a million)
//                               https://developers.cloudflare.com/workers-ai/platform/pricing/ and the model's page
//                               https://developers.cloudflare.com/workers-ai/models/llama-3.3-70b-instruct-fp8-fast/
//                               (the free 10,000 neurons a day are left out, like the platform's allowances)
import { readFileSync } from "node:fs";
import { eventsCost } from "./cost-events.mjs";
import { streamingCost } from "./cost-streaming.mjs";

/** Call slots a shard asks TenantLimits for at once at 100 active calls (src/security/tenant-limits.ts slotStep). */
const SLOT_STEP = 5;

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
const TAIL_TURNS = fromSource("src/storage/call-row.ts", /^export const TAIL_TURNS = (\d+);/m);
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
 * Rows a call's object writes (src/storage/call-store.ts, call-row.ts): create 1 (the session row, with the
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

/** Workers AI bills neurons: $0.011 per 1,000 (developers.cloudflare.com/workers-ai/platform/pricing/). */
const USD_PER_NEURON = 0.011 / 1000;
/** Per model: its adapter, and USD per 1M input and output tokens (sources in the header). */
export const MODEL_PRICES = {
  "gpt-4o-mini": { provider: "openai", inputPerM: 0.15, outputPerM: 0.6, source: "platform.openai.com/docs/pricing" },
  "claude-haiku-4-5": {
    provider: "anthropic",
    inputPerM: 1,
    outputPerM: 5,
    source: "platform.claude.com/docs/en/models/haiku-4-5/overview",
  },
  "gemini-2.5-flash": {
    provider: "google",
    inputPerM: 0.3,
    outputPerM: 2.5,
    source: "ai.google.dev/gemini-api/docs/pricing",
  },
  "llama-3.3-70b": {
    provider: "workers-ai",
    model: "@cf/meta/llama-3.3-70b-instruct-fp8-fast",
    neuronsPerMInput: 26_668,
    neuronsPerMOutput: 204_805,
    inputPerM: 26_668 * USD_PER_NEURON,
    outputPerM: 204_805 * USD_PER_NEURON,
    source: "developers.cloudflare.com/workers-ai/platform/pricing/ (neurons)",
  },
};

/** AGENT_HISTORY_TOKENS's default: the earlier turns sent to the model are cut to this many (estimated) tokens. */
const HISTORY_TOKENS_DEFAULT = fromSource("src/config/config.ts", /AGENT_HISTORY_TOKENS: intVar\((\d+),/);
/** What src/agents/memory.ts counts for a message's role and separators, on top of its text. */
const MESSAGE_OVERHEAD_TOKENS = 4;
/**
 * voice-edge's own line in every system message (memory.ts: speak in short plain sentences, no markdown):
 * 132 characters and the blank line before it, 34 tokens at memory.ts's 4 characters a token.
 */
const VOICE_LINE_TOKENS = 34;

/**
 * The model tokens of one agent call: every turn the model is sent the system message (the agent's
 * instructions and voice-edge's voice line), the tool specs, the call so far (each earlier caller turn and
 * reply, as src/agents/memory.ts builds it, up to AGENT_HISTORY_TOKENS) and the caller's words, and writes
 * the reply. A turn that uses a tool (`toolShare` of them) asks the model twice: the first answer is the
 * tool call (`toolCallTokens` out), the second is sent the same again plus that call and the tool's result
 * (`toolResultTokens`). Tool messages stay within their turn: memory.ts keeps only what was said.
 */
export function agentCallTokens(p) {
  const system = p.instructionsTokens + VOICE_LINE_TOKENS + MESSAGE_OVERHEAD_TOKENS;
  const turnPair = p.callerTokens + p.replyTokens + 2 * MESSAGE_OVERHEAD_TOKENS;
  const perTurn = [];
  for (let k = 0; k < p.turns; k++) {
    // The oldest whole turns are dropped first once the history would pass its budget.
    const history = Math.min(k, Math.floor(p.historyTokens / turnPair)) * turnPair;
    const first = system + p.toolTokens + history + p.callerTokens + MESSAGE_OVERHEAD_TOKENS;
    const again = first + p.toolCallTokens + p.toolResultTokens + 2 * MESSAGE_OVERHEAD_TOKENS;
    perTurn.push({
      input: first + p.toolShare * again,
      output: p.replyTokens + p.toolShare * p.toolCallTokens,
      requests: 1 + p.toolShare,
    });
  }
  const sum = (k) => perTurn.reduce((a, t) => a + t[k], 0);
  return { perTurn, input: sum("input"), output: sum("output"), requests: sum("requests") };
}

/** Prints the model tokens of an agent call and their cost per model; `platform` is the platform's $ per 1M calls. */
export function agentTokenModel(p, platform, log = console.log) {
  const t = agentCallTokens(p);
  const models = p.model === "all" ? Object.keys(MODEL_PRICES) : [p.model];
  const n = (x) => Math.round(x).toLocaleString("en-US");
  log(`\n== Model tokens of an agent call (bench/cost-model.mjs): at the model providers' list prices ==`);
  log(
    `call shape: ${p.turns} caller turns, ${p.minutes} minutes; the model is sent each turn: instructions ` +
      `${p.instructionsTokens} tokens + voice-edge's voice line ${VOICE_LINE_TOKENS}, tool specs ${p.toolTokens}, ` +
      `the call so far (caller ${p.callerTokens} + reply ${p.replyTokens} tokens a turn, ` +
      `${MESSAGE_OVERHEAD_TOKENS} a message, at most AGENT_HISTORY_TOKENS=${p.historyTokens}) and the caller's ` +
      `words; ${(p.toolShare * 100).toFixed(0)}% of turns call a tool (a second request: +${p.toolCallTokens} ` +
      `tokens out, +${p.toolResultTokens} of result in)`,
  );
  log(
    `tokens per call: input ${n(t.input)} (turn 1 ${n(t.perTurn[0]?.input ?? 0)}, turn ${p.turns} ` +
      `${n(t.perTurn[p.turns - 1]?.input ?? 0)}), output ${n(t.output)}, in ${t.requests.toFixed(1)} model requests`,
  );
  log("");
  log(
    `${"model".padEnd(20)}${"adapter".padEnd(12)}${"$/1M in".padStart(9)}${"$/1M out".padStart(10)}` +
      `${"$ a call".padStart(11)}${"$ per 1M calls".padStart(16)}${"× platform".padStart(12)}   price from`,
  );
  const rows = [];
  for (const name of models) {
    const m = MODEL_PRICES[name];
    const perCall = (t.input * m.inputPerM + t.output * m.outputPerM) / 1e6;
    rows.push({ name, perCall });
    const neurons = m.neuronsPerMInput
      ? ` (${n((t.input * m.neuronsPerMInput + t.output * m.neuronsPerMOutput) / 1e6)} neurons a call)`
      : "";
    log(
      `${name.padEnd(20)}${m.provider.padEnd(12)}${m.inputPerM.toFixed(3).padStart(9)}` +
        `${m.outputPerM.toFixed(3).padStart(10)}${perCall.toFixed(5).padStart(11)}` +
        `${(perCall * 1e6).toFixed(0).padStart(16)}${((perCall * 1e6) / platform).toFixed(1).padStart(12)}` +
        `   ${m.source}${neurons}`,
    );
  }
  log(
    "list prices without prompt caching (OpenAI and Gemini discount repeated prompt prefixes, Anthropic with " +
      "cache_control): every turn resends the instructions and the call so far, so caching would cut the input " +
      "side; leaving it out overstates. Free allowances are left out. × platform: against the platform's " +
      `operations figure above for a call of the same shape ($${platform.toFixed(2)} per 1M calls).`,
  );
  return { tokens: t, rows };
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
  // Worker, CallSession (RPCs + alarms), tenant shards and TenantLimits, MetricsShard
  const invocations = req + (req + syncs) + (req * (p.leasesPerRequest + p.grantsPerRequest) + 3) + shardUpdates;
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
      item: "TenantShard.lease RPC",
      unit: "doRequest",
      count: req * p.leasesPerRequest,
      from:
        `key check and tokens in one RPC to the shard near the caller, ${p.leasesPerRequest} a request ` +
        "(an isolate that sees one request now and then; a busy one leases 1 per 50: src/security/admission.ts)",
    },
    {
      product: "Durable Objects",
      item: "TenantLimits.grantTokens RPC",
      unit: "doRequest",
      count: req * p.grantsPerRequest,
      from:
        `a shard's own lease, ${p.grantsPerRequest} a request: about a second of the shard's demand when half ` +
        "is gone (a shard seeing ~5 of the tenant's requests a second asks every ~2.5; one a request at worst)",
    },
    {
      product: "Durable Objects",
      item: "TenantShard call slot RPCs",
      unit: "doRequest",
      count: 2 + Math.floor(p.minutes / 5) + 2 / SLOT_STEP,
      from:
        `acquireCall at create, releaseCall at end, seenCall every 5 min after the create, TenantLimits.allotSlots ` +
        `once per ${SLOT_STEP} creates and once per ${SLOT_STEP} ends (slotStep at 100 active calls)`,
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
      count:
        (DO_MEMORY_GB *
          (req * p.turnMs +
            (syncs + req * (p.leasesPerRequest + p.grantsPerRequest) + 3 + shardUpdates) * p.smallDoMs)) /
        1000,
      from:
        `128 MB × (CallSession RPCs × ${p.turnMs} ms (${p.turnMsSource}) + ` +
        `alarms, tenant shard, TenantLimits and metrics RPCs × ${p.smallDoMs} ms)`,
    },
    // ---- Durable Objects: SQLite rows written
    {
      product: "Durable Objects",
      item: "SQLite rows written: TenantShard/Limits",
      unit: "doRowWritten",
      count: 2 + 4 / SLOT_STEP,
      from:
        "the shard's active_calls_v2 INSERT and DELETE (WITHOUT ROWID, no index), its allotment and the ledger " +
        `row once per ${SLOT_STEP} creates and ends; key records and buckets are in memory only`,
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
  // Leases an isolate makes per request: 1 when it sees a tenant's requests now and then (the worst case),
  // about 0.02 for one serving 50 a second (a lease per 50 tokens; verdicts add 2 a second per key).
  leasesPerRequest: 1,
  // A shard's leases from TenantLimits per request: 1 at worst (a shard that sees one request now and
  // then); ~0.4 for one seeing ~5 a second (1M calls a month of 12 requests is ~4.6 a second).
  grantsPerRequest: 0.4,
  ttsMissShare: 0.05,
  missSource: "assumed",
  r2KiB: 6000,
  r2Source: "assumed",
  d1KiB: 8,
  retentionMonths: 1,
  // An agent call's model tokens (agentTokenModel): all models, or one of MODEL_PRICES.
  model: "all",
  instructionsTokens: 500,
  toolTokens: 150,
  callerTokens: 20,
  replyTokens: 45,
  toolShare: 0.2,
  toolCallTokens: 25,
  toolResultTokens: 100,
  historyTokens: HISTORY_TOKENS_DEFAULT,
  // A live call's caller speech a turn, and what a streaming STT socket is open beyond it (cost-streaming.mjs).
  speechSeconds: 3,
  socketOverheadSeconds: 1,
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
    totalPerMillion(ops.filter((o) => /^Tenant(Shard|Limits)/.test(o.item))) +
    ops.find((o) => o.item === "SQLite rows written: TenantShard/Limits").count * PRICES.doRowWritten * M;
  log(
    `  of which tenant admission (shard and TenantLimits RPCs + their rows, ${p.leasesPerRequest} lease and ` +
      `${p.grantsPerRequest} grant a request) $${tl.toFixed(2)}`,
  );
  const events = eventsCost(p, PRICES, oneOff, log);
  const streaming = streamingCost(p, PRICES, log);
  const agent = agentTokenModel(p, oneOff, log);
  return { ops, byProduct, oneOff, r2Storage, d1Storage, withMonth, agent, events, streaming };
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
    "--model": "model",
    "--instructions-tokens": "instructionsTokens",
    "--tool-tokens": "toolTokens",
    "--caller-tokens": "callerTokens",
    "--reply-tokens": "replyTokens",
    "--tool-share": "toolShare",
    "--leases-per-request": "leasesPerRequest",
    "--grants-per-request": "grantsPerRequest",
    "--speech-seconds": "speechSeconds",
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split("=", 2);
    if (!names[flag]) {
      console.error(`bench:cost: unknown option ${flag}; options: ${Object.keys(names).join(" ")}`);
      process.exit(2);
    }
    if (flag === "--speech") o.speech = true;
    else if (flag === "--model") o.model = inline ?? argv[++i];
    else o[names[flag]] = Number(inline ?? argv[++i]);
  }
  if (o.model && o.model !== "all" && !MODEL_PRICES[o.model]) {
    console.error(`bench:cost: unknown --model ${o.model}; one of all, ${Object.keys(MODEL_PRICES).join(", ")}`);
    process.exit(2);
  }
  costModel(o);
}
