/**
 * Global counters: the same figure whichever isolate answers a scrape, kept in MetricsShard
 * Durable Objects (src/durable/metrics-shard.ts). An update goes to one shard picked at random;
 * a read asks every shard in parallel and sums.
 */
import type { AttemptRecord } from "../call/attempts";
import { LATENCY_BUCKETS_MS, renderFamily, seriesKey, type Labels } from "./metrics";
import { log } from "./log";
import { errorMessage } from "../lib/errors";
import { AGENT_FAMILIES, LLM_ATTEMPTS, LLM_FIRST_TOKEN, LLM_TOKENS, TOOL_CALLS, TOOL_LATENCY } from "./metrics-llm";
import { EVENT_ATTEMPTS, EVENT_DELIVERIES, EVENT_FAMILIES, EVENT_LAG, EVENT_LAG_BUCKETS_MS } from "./metrics-events";

/**
 * How many shards the global counters are spread over. A Durable Object serves on the order of
 * 1,000 small requests a second; every call start, call end and turn is one add() to one shard,
 * so 64 shards absorb ~64,000 updates a second — a million concurrent calls taking a turn every
 * ~15 s each — with no object hotter than 1/64 of the traffic. A scrape reads all 64 in parallel
 * (64 small RPCs every scrape interval, cheap). Only ever raise it: lowering it would drop the
 * counts held by the shards left out, and counters must never go backwards.
 */
export const METRICS_SHARDS = 64;

/** The default shard family's name prefix; tests use their own so their counts stay apart. */
export const GLOBAL_SHARD_PREFIX = "global";

/** The METRICS binding (its stubs are MetricsShard objects, src/durable/metrics-shard.ts). */
type ShardNamespace = Env["METRICS"];

export interface ShardSet {
  namespace: ShardNamespace;
  prefix?: string;
  shards?: number;
}

function shardStub(set: ShardSet, i: number) {
  return set.namespace.get(set.namespace.idFromName(`${set.prefix ?? GLOBAL_SHARD_PREFIX}-${i}`));
}

/** Adds the deltas to one shard picked at random (exact: the sum over shards is what counts). */
export async function addToShards(
  set: ShardSet,
  deltas: Record<string, number>,
  random: () => number = Math.random,
): Promise<void> {
  const n = set.shards ?? METRICS_SHARDS;
  await shardStub(set, Math.min(n - 1, Math.floor(random() * n))).add(deltas);
}

/**
 * Every shard's counters, summed. Throws when a shard cannot be read: a partial sum would make counters go backwards.
 */
export async function readShards(set: ShardSet): Promise<Map<string, number>> {
  const n = set.shards ?? METRICS_SHARDS;
  const parts = await Promise.all(Array.from({ length: n }, (_, i) => shardStub(set, i).read()));
  const sum = new Map<string, number>();
  for (const part of parts) for (const [series, v] of Object.entries(part)) sum.set(series, (sum.get(series) ?? 0) + v);
  return sum;
}

/** The shards' namespace, when this deployment has the METRICS binding. */
export function namespaceOf(env: Env): ShardNamespace | undefined {
  return (env as { METRICS?: ShardNamespace }).METRICS;
}

/**
 * Adds deltas to the global counters off the critical path: handed to waitUntil, and a failure is
 * logged, never thrown (a metric must not fail a call).
 */
export function addGlobal(
  env: Env,
  ctx: { waitUntil(p: Promise<unknown>): void },
  deltas: Record<string, number>,
): void {
  const namespace = namespaceOf(env);
  if (!namespace) return;
  try {
    ctx.waitUntil(
      addToShards({ namespace }, deltas).catch((err: unknown) =>
        log("metrics_update_failed", { message: errorMessage(err) }, "warn"),
      ),
    );
  } catch (err) {
    log("metrics_update_failed", { message: errorMessage(err) }, "warn");
  }
}

// ---------------------------------------------------------------- the global series

export const CALLS_STARTED = "voice_calls_started_total";
export const CALLS_ENDED = "voice_calls_ended_total";
export const CALLS_ACTIVE = "voice_calls_active";
export const TURNS = "voice_turns_total";

export const STAGE_LATENCY = "voice_turn_stage_latency_ms";
export const PROVIDER_LATENCY = "voice_provider_latency_ms";
export const HTTP_ERRORS = "voice_http_errors_total";
export const TTS_CACHE = "voice_tts_cache_requests_total";

export type TurnSource = "text" | "dtmf" | "speech";
export type TurnOutcome = "ok" | "degraded" | "error";

export const callStarted = (): Record<string, number> => ({ [seriesKey(CALLS_STARTED)]: 1 });
export const callEnded = (reason: string): Record<string, number> => ({ [seriesKey(CALLS_ENDED, { reason })]: 1 });
export const turnDone = (source: TurnSource, outcome: TurnOutcome): Record<string, number> => ({
  [seriesKey(TURNS, { source, outcome })]: 1,
});

/**
 * Histograms are kept in the shards too: turns run in call Durable Objects, which are often not
 * the isolate a scrape reaches, so an in-memory histogram would show a scrape almost nothing. Each
 * observation adds 1 to the one bucket it falls in (stored non-cumulative under `<name>_raw`),
 * plus `_sum` and `_count`; rendering makes the buckets cumulative.
 */
export function histogramDeltas(
  name: string,
  labels: Labels,
  value: number,
  buckets: readonly number[] = LATENCY_BUCKETS_MS,
): Record<string, number> {
  if (!Number.isFinite(value) || value < 0) return {};
  const i = buckets.findIndex((le) => value <= le);
  const le = i < 0 ? "+Inf" : String(buckets[i]);
  return {
    [seriesKey(`${name}_raw`, { ...labels, le })]: 1,
    [seriesKey(`${name}_sum`, labels)]: value,
    [seriesKey(`${name}_count`, labels)]: 1,
  };
}

/** Outcomes that are real provider calls with a duration worth a latency sample (not skips or cache hits). */
const TIMED_OUTCOMES = new Set<AttemptRecord["outcome"]>(["success", "failed", "timeout", "refused", "aborted"]);

/** A turn's stage latencies and provider call durations, as shard deltas. */
export function turnLatencyDeltas(
  latencyMs: { stt: number; nlp: number; tts: number; total: number },
  ran: { stt: boolean; tts: boolean },
  attempts: { stt?: readonly AttemptRecord[] | undefined; tts?: readonly AttemptRecord[] | undefined },
): Record<string, number> {
  const deltas: Record<string, number> = {};
  const add = (d: Record<string, number>) => {
    for (const [k, v] of Object.entries(d)) deltas[k] = (deltas[k] ?? 0) + v;
  };
  // A text or keypad turn runs no recognizer, a text reply no synthesis: their zero is not a sample.
  if (ran.stt) add(histogramDeltas(STAGE_LATENCY, { stage: "stt" }, latencyMs.stt));
  add(histogramDeltas(STAGE_LATENCY, { stage: "nlp" }, latencyMs.nlp));
  if (ran.tts) add(histogramDeltas(STAGE_LATENCY, { stage: "tts" }, latencyMs.tts));
  add(histogramDeltas(STAGE_LATENCY, { stage: "total" }, latencyMs.total));
  for (const kind of ["stt", "tts"] as const) {
    for (const a of attempts[kind] ?? []) {
      if (TIMED_OUTCOMES.has(a.outcome))
        add(
          histogramDeltas(PROVIDER_LATENCY, { kind, provider: a.provider, region: a.region, outcome: a.outcome }, a.ms),
        );
    }
  }
  return deltas;
}

/** A problem code as a label: codes are constants in the source; anything else is folded. */
function codeLabel(code: string): string {
  return /^[a-z][a-z0-9_]{0,63}$/.test(code) ? code : "other";
}

export const httpError = (status: number, code: string): Record<string, number> => ({
  [seriesKey(HTTP_ERRORS, { code: codeLabel(code), status: String(status) })]: 1,
});
export const ttsCacheResult = (result: "hit" | "miss"): Record<string, number> => ({
  [seriesKey(TTS_CACHE, { result })]: 1,
});

/** The exposition of a sharded histogram: raw per-bucket counts made cumulative, per label set. */
function renderHistogram(
  name: string,
  help: string,
  sums: ReadonlyMap<string, number>,
  buckets: readonly number[] = LATENCY_BUCKETS_MS,
): string {
  const groups = new Map<string, { labels: Record<string, string>; raw: Map<string, number> }>();
  for (const [series, v] of sums) {
    if (familyOf(series) !== `${name}_raw`) continue;
    const labels = parseLabels(series);
    const le = labels.le ?? "+Inf";
    delete labels.le;
    const key = seriesKey(name, labels);
    const g = groups.get(key) ?? { labels, raw: new Map<string, number>() };
    g.raw.set(le, (g.raw.get(le) ?? 0) + v);
    groups.set(key, g);
  }
  const samples: [string, number][] = [];
  for (const [, g] of [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    let cumulative = 0;
    for (const le of buckets.map(String)) {
      cumulative += g.raw.get(le) ?? 0;
      samples.push([seriesKey(`${name}_bucket`, { ...g.labels, le }), cumulative]);
    }
    cumulative += g.raw.get("+Inf") ?? 0;
    samples.push([seriesKey(`${name}_bucket`, { ...g.labels, le: "+Inf" }), cumulative]);
    samples.push([seriesKey(`${name}_sum`, g.labels), sums.get(seriesKey(`${name}_sum`, g.labels)) ?? 0]);
    samples.push([seriesKey(`${name}_count`, g.labels), cumulative]);
  }
  return renderFamily(name, "histogram", help, samples);
}

/** The labels of a series key written by seriesKey (name{a="x",b="y"}). */
function parseLabels(series: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const body = series.slice(series.indexOf("{") + 1, series.lastIndexOf("}"));
  for (const m of body.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
    labels[m[1] as string] = (m[2] as string).replace(/\\(.)/g, (_x, c: string) => (c === "n" ? "\n" : c));
  return labels;
}

const GLOBAL = "Global: summed over every MetricsShard object, the same whichever isolate answers.";

function familyOf(series: string): string {
  const brace = series.indexOf("{");
  return brace < 0 ? series : series.slice(0, brace);
}

/** The global families as exposition text, from the summed shard counters. */
export function renderGlobal(sums: ReadonlyMap<string, number>): string {
  const of = (name: string) =>
    [...sums].filter(([series]) => familyOf(series) === name).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const started = sums.get(seriesKey(CALLS_STARTED)) ?? 0;
  const ended = of(CALLS_ENDED).reduce((n, [, v]) => n + v, 0);
  return [
    renderFamily(CALLS_STARTED, "counter", `Calls created. ${GLOBAL}`, [[seriesKey(CALLS_STARTED), started]]),
    renderFamily(
      CALLS_ENDED,
      "counter",
      "Calls ended, by reason: client (POST /end), flow (the flow hung up), agent (an agent's model hung up), " +
        `idle_timeout, erased (deleted while active). ${GLOBAL}`,
      of(CALLS_ENDED),
    ),
    renderFamily(CALLS_ACTIVE, "gauge", `Calls active now: started minus ended. ${GLOBAL}`, [
      [seriesKey(CALLS_ACTIVE), Math.max(0, started - ended)],
    ]),
    renderFamily(
      TURNS,
      "counter",
      "Caller turns, by source (text, dtmf, speech) and outcome: ok, degraded (answered without part of the " +
        `pipeline, e.g. a text reply when TTS failed), error (the turn request failed). ${GLOBAL}`,
      of(TURNS),
    ),
    renderHistogram(
      STAGE_LATENCY,
      "Latency of each stage of a call turn (stt, nlp, tts) and of the whole turn " +
        "(total), in milliseconds, measured in the call's Durable Object; stt only for " +
        `speech turns, tts only when a reply was synthesized. ${GLOBAL}`,
      sums,
    ),
    renderHistogram(
      PROVIDER_LATENCY,
      "Duration of each provider call made for a call turn (retries counted one by one; " +
        "skips and cache hits not), in milliseconds, by kind (stt, tts), provider, region " +
        `and outcome (success, failed, timeout, refused, aborted). ${GLOBAL}`,
      sums,
    ),
    renderFamily(
      HTTP_ERRORS,
      "counter",
      `Problem responses (status >= 400) by problem code and HTTP status. ${GLOBAL}`,
      of(HTTP_ERRORS),
    ),
    renderHistogram(LLM_FIRST_TOKEN, `${AGENT_FAMILIES[LLM_FIRST_TOKEN]} ${GLOBAL}`, sums),
    renderFamily(LLM_TOKENS, "counter", `${AGENT_FAMILIES[LLM_TOKENS]} ${GLOBAL}`, of(LLM_TOKENS)),
    renderFamily(LLM_ATTEMPTS, "counter", `${AGENT_FAMILIES[LLM_ATTEMPTS]} ${GLOBAL}`, of(LLM_ATTEMPTS)),
    renderFamily(TOOL_CALLS, "counter", `${AGENT_FAMILIES[TOOL_CALLS]} ${GLOBAL}`, of(TOOL_CALLS)),
    renderHistogram(TOOL_LATENCY, `${AGENT_FAMILIES[TOOL_LATENCY]} ${GLOBAL}`, sums),
    renderFamily(EVENT_ATTEMPTS, "counter", `${EVENT_FAMILIES[EVENT_ATTEMPTS]} ${GLOBAL}`, of(EVENT_ATTEMPTS)),
    renderFamily(EVENT_DELIVERIES, "counter", `${EVENT_FAMILIES[EVENT_DELIVERIES]} ${GLOBAL}`, of(EVENT_DELIVERIES)),
    renderHistogram(EVENT_LAG, `${EVENT_FAMILIES[EVENT_LAG]} ${GLOBAL}`, sums, EVENT_LAG_BUCKETS_MS),
    renderFamily(
      TTS_CACHE,
      "counter",
      "Syntheses that consulted the speech cache, by result: hit (served " +
        `from R2, no provider call) or miss (synthesized). ${GLOBAL}`,
      of(TTS_CACHE),
    ),
  ].join("");
}
