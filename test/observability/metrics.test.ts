import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { TurnResult } from "../../src/pipeline/types";
import { seriesKey } from "../../src/observability/metrics";
import { histogramDeltas, renderGlobal, STAGE_LATENCY } from "../../src/observability/metrics-global";
import { addToShards, readShards } from "../../src/observability/metrics-global";
import { writeTurnDataPoint } from "../../src/pipeline/metrics";
import { getHealth, resetHealthForTests } from "../../src/routing/health-registry";
import dtmfWav from "../fixtures/audio/dtmf-1234H-8k.wav";
import silenceWav from "../fixtures/audio/silence-2s-16k.wav";
import { ADMIN_TOKEN, api, createKey, expectProblem, startCall, tenant, uid } from "../helpers/api";

// ---------------------------------------------------------------- a small Prometheus text parser

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
interface Family {
  help?: string;
  type?: string;
  samples: Sample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/y;

function parseLabels(text: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  if (!text) return labels;
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const m = LABEL.exec(text);
    if (!m) throw new Error(`bad labels: {${text}}`);
    labels[m[1] as string] = (m[2] as string).replace(/\\n/g, "\n").replace(/\\"/g, '"').replace(/\\\\/g, "\\");
  }
  return labels;
}

function parseValue(v: string): number {
  if (v === "+Inf") return Infinity;
  if (v === "-Inf") return -Infinity;
  if (v === "NaN") return NaN;
  if (!/^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(v)) throw new Error(`bad value ${v}`);
  return Number(v);
}

/** The family a sample belongs to: histogram samples carry _bucket, _sum, _count suffixes. */
function familyName(name: string, families: Map<string, Family>): string {
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (name.endsWith(suffix)) {
      const base = name.slice(0, -suffix.length);
      if (families.get(base)?.type === "histogram") return base;
    }
  }
  return name;
}

function parseProm(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { samples: [] }));
    return f;
  };
  expect(text.endsWith("\n")).toBe(true);
  for (const line of text.slice(0, -1).split("\n")) {
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (meta) {
      const f = family(meta[2] as string);
      if (meta[1] === "HELP") f.help = meta[3];
      else {
        expect(["counter", "gauge", "histogram"]).toContain(meta[3]);
        expect(f.samples, `TYPE before samples of ${meta[2]}`).toHaveLength(0);
        f.type = meta[3];
      }
      continue;
    }
    expect(line.startsWith("#"), `unexpected comment: ${line}`).toBe(false);
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const name = m[1] as string;
    family(familyName(name, families)).samples.push({
      name,
      labels: parseLabels(m[2]),
      value: parseValue(m[3] as string),
    });
  }
  for (const [name, f] of families) {
    expect(f.help, `HELP of ${name}`).toBeTruthy();
    expect(f.type, `TYPE of ${name}`).toBeTruthy();
    if (f.type === "histogram") checkHistogram(name, f);
  }
  return families;
}

function checkHistogram(name: string, f: Family): void {
  const groups = new Map<string, Sample[]>();
  for (const s of f.samples) {
    const { le: _le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  for (const [key, samples] of groups) {
    const buckets = samples.filter((s) => s.name === `${name}_bucket`);
    const count = samples.find((s) => s.name === `${name}_count`);
    expect(
      samples.find((s) => s.name === `${name}_sum`),
      `${name}${key} _sum`,
    ).toBeDefined();
    expect(buckets.length, `${name}${key} buckets`).toBeGreaterThan(1);
    let last = -Infinity;
    let lastValue = 0;
    for (const b of buckets) {
      const le = parseValue(b.labels.le as string);
      expect(le, `${name}${key} bucket order`).toBeGreaterThan(last);
      expect(b.value, `${name}${key} cumulative`).toBeGreaterThanOrEqual(lastValue);
      last = le;
      lastValue = b.value;
    }
    expect(last, `${name}${key} ends with +Inf`).toBe(Infinity);
    expect(lastValue, `${name}${key} +Inf = _count`).toBe(count?.value);
  }
}

async function scrape(): Promise<{ text: string; families: Map<string, Family> }> {
  const res = await api("/metrics", { key: ADMIN_TOKEN });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  expect(res.headers.get("Content-Type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  return { text, families: parseProm(text) };
}

/** The value of one series (0 when absent), matching every label given. */
function value(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  const fam = families.get(familyName(name, families)) ?? families.get(name.replace(/_(bucket|sum|count)$/, ""));
  return (fam?.samples ?? [])
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((n, s) => n + s.value, 0);
}

/** Global counters land through waitUntil: scrape until the condition holds (or time runs out). */
async function eventually(check: (f: Map<string, Family>) => boolean, ms = 10_000): Promise<Map<string, Family>> {
  const until = Date.now() + ms;
  for (;;) {
    const { families } = await scrape();
    if (check(families) || Date.now() > until) return families;
    await new Promise((r) => setTimeout(r, 50));
  }
}

// ---------------------------------------------------------------- tests

describe("GET /metrics", () => {
  it("requires the admin scope (operator token or an admin key)", async () => {
    await expectProblem(await api("/metrics"), 401, "unauthorized");
    const { tenantId } = await tenant();
    const noAdmin = await createKey(tenantId, ["calls:write", "calls:read", "voice"]);
    await expectProblem(await api("/metrics", { key: noAdmin }), 403, "forbidden");
    const admin = await createKey(tenantId, ["admin"]);
    expect((await api("/metrics", { key: admin })).status).toBe(200);
  });

  it("is listed in /openapi.json with its admin scope and a text/plain answer", async () => {
    const doc = (await (await api("/openapi.json")).json()) as {
      paths: Record<
        string,
        Record<
          string,
          { security?: { bearer?: string[] }[]; responses: Record<string, { content?: Record<string, unknown> }> }
        >
      >;
    };
    const op = doc.paths["/metrics"]?.get;
    expect(op?.security).toEqual([{ bearer: ["admin"] }]);
    expect(Object.keys(op?.responses["200"]?.content ?? {})).toEqual(["text/plain"]);
  });

  it("parses as Prometheus text, with every documented family", async () => {
    const { families } = await scrape();
    for (const name of [
      "voice_calls_started_total",
      "voice_calls_ended_total",
      "voice_calls_active",
      "voice_turns_total",
      "voice_metrics_global_up",
      "voice_turn_stage_latency_ms",
      "voice_provider_latency_ms",
      "voice_http_errors_total",
      "voice_tts_cache_requests_total",
      "voice_provider_circuit_state",
    ]) {
      expect(families.has(name), name).toBe(true);
    }
    expect(value(families, "voice_metrics_global_up")).toBe(1);
    expect(families.get("voice_turn_stage_latency_ms")?.help).toMatch(/Global/);
    expect(families.get("voice_provider_circuit_state")?.help).toMatch(/Per isolate/);
    expect(families.get("voice_calls_started_total")?.help).toMatch(/Global/);
  });

  it("moves its counters and histograms as a call starts, takes turns and ends", async () => {
    const { key, tenantId } = await tenant();
    const before = (await scrape()).families;
    const total = (f: Map<string, Family>) => value(f, "voice_turn_stage_latency_ms_count", { stage: "total" });

    // Audio replies: the greeting and the first reply are synthesized (cache misses), and a second
    // call of the same tenant hears the same greeting from the cache.
    const callId = await startCall(key, {}, "");
    const turn = (init: { json?: unknown; body?: BodyInit; headers?: Record<string, string> }, query = "") =>
      api(`/api/v1/calls/${callId}/turns${query}`, { method: "POST", key, ...init });
    expect((await turn({ json: { text: "what is my balance" } })).status).toBe(200);
    expect((await turn({ body: dtmfWav, headers: { "Content-Type": "audio/wav" } }, "?reply=text")).status).toBe(200);
    expect((await turn({ body: silenceWav, headers: { "Content-Type": "audio/wav" } }, "?reply=text")).status).toBe(
      200,
    );
    expect((await api(`/api/v1/calls/${callId}/end`, { method: "POST", key })).status).toBe(200);
    const second = await startCall(key, {}, "");
    expect((await api(`/api/v1/calls/${second}/end`, { method: "POST", key })).status).toBe(200);

    const d = (f: Map<string, Family>, name: string, labels: Record<string, string> = {}) =>
      value(f, name, labels) - value(before, name, labels);
    const after = await eventually(
      (f) =>
        d(f, "voice_calls_started_total") >= 2 &&
        d(f, "voice_calls_ended_total", { reason: "client" }) >= 2 &&
        d(f, "voice_turns_total", { source: "text", outcome: "ok" }) >= 1 &&
        d(f, "voice_turns_total", { source: "dtmf", outcome: "ok" }) >= 1 &&
        d(f, "voice_turns_total", { source: "speech", outcome: "ok" }) >= 1,
    );
    // Other test files run beside this one: global counters may have moved more, never less.
    expect(d(after, "voice_calls_started_total")).toBeGreaterThanOrEqual(2);
    expect(d(after, "voice_calls_ended_total", { reason: "client" })).toBeGreaterThanOrEqual(2);
    for (const source of ["text", "dtmf", "speech"])
      expect(d(after, "voice_turns_total", { source, outcome: "ok" }), source).toBeGreaterThanOrEqual(1);
    const ended = value(after, "voice_calls_ended_total");
    expect(value(after, "voice_calls_active")).toBe(Math.max(0, value(after, "voice_calls_started_total") - ended));

    // Histograms are global too (the turns ran in call objects, which need not share the scrape's isolate).
    expect(total(after) - total(before)).toBeGreaterThanOrEqual(3);
    expect(d(after, "voice_turn_stage_latency_ms_count", { stage: "nlp" })).toBeGreaterThanOrEqual(3);
    expect(d(after, "voice_turn_stage_latency_ms_count", { stage: "tts" })).toBeGreaterThanOrEqual(1);
    expect(d(after, "voice_tts_cache_requests_total", { result: "miss" })).toBeGreaterThanOrEqual(2);
    expect(d(after, "voice_tts_cache_requests_total", { result: "hit" })).toBeGreaterThanOrEqual(1);
    // Provider calls are timed for turns (the text turn's reply); the greetings were not turns.
    expect(
      d(after, "voice_provider_latency_ms_count", { kind: "tts", provider: "local", outcome: "success" }),
    ).toBeGreaterThanOrEqual(1);

    // Aggregates only: no tenant or call id appears anywhere.
    const { text } = await scrape();
    for (const id of [tenantId, callId, second]) expect(text).not.toContain(id);
  });

  it("counts a failed turn as an error turn", async () => {
    const { key } = await tenant();
    const before = (await scrape()).families;
    const callId = await startCall(key);
    expect((await api(`/api/v1/calls/${callId}/end`, { method: "POST", key })).status).toBe(200);
    await expectProblem(
      await api(`/api/v1/calls/${callId}/turns`, { method: "POST", key, json: { text: "hello" } }),
      409,
      "call_ended",
    );
    const after = await eventually(
      (f) =>
        value(f, "voice_turns_total", { source: "text", outcome: "error" }) >
        value(before, "voice_turns_total", { source: "text", outcome: "error" }),
    );
    expect(value(after, "voice_turns_total", { source: "text", outcome: "error" })).toBeGreaterThan(
      value(before, "voice_turns_total", { source: "text", outcome: "error" }),
    );
  });

  it("counts errors by problem code", async () => {
    const { key } = await tenant();
    const labels = { code: "call_not_found", status: "404" };
    const before = value((await scrape()).families, "voice_http_errors_total", labels);
    await expectProblem(await api("/api/v1/calls/call-metrics-missing", { key }), 404, "call_not_found");
    await expectProblem(await api("/api/v1/calls/call-metrics-missing-2", { key }), 404, "call_not_found");
    expect(value((await scrape()).families, "voice_http_errors_total", labels) - before).toBeGreaterThanOrEqual(2);
  });

  it("reports circuit breaker states", async () => {
    resetHealthForTests();
    try {
      getHealth("deepgram", "eu").breaker.onAuthFailure();
      getHealth("local", "edge");
      const { families } = await scrape();
      expect(
        value(families, "voice_provider_circuit_state", { provider: "deepgram", region: "eu", state: "open" }),
      ).toBe(1);
      expect(
        value(families, "voice_provider_circuit_state", { provider: "deepgram", region: "eu", state: "closed" }),
      ).toBe(0);
      expect(
        value(families, "voice_provider_circuit_state", { provider: "local", region: "edge", state: "closed" }),
      ).toBe(1);
    } finally {
      resetHealthForTests();
    }
  });
});

describe("sharded global counters", () => {
  it("stay exact under 200 concurrent updates spread over the shards", async () => {
    const set = { namespace: env.METRICS, prefix: uid("test-shards"), shards: 8 };
    const a = seriesKey("test_updates_total");
    const b = seriesKey("test_turns_total", { source: "text" });
    await Promise.all(Array.from({ length: 200 }, (_, i) => addToShards(set, { [a]: 1, [b]: i % 3 })));
    const sums = await readShards(set);
    expect(sums.get(a)).toBe(200);
    expect(sums.get(b)).toBe(Array.from({ length: 200 }, (_, i) => i % 3).reduce((x, y) => x + y, 0));
    // Spread: more than one shard took updates.
    const perShard = await Promise.all(
      Array.from({ length: 8 }, (_, i) => env.METRICS.get(env.METRICS.idFromName(`${set.prefix}-${i}`)).read()),
    );
    expect(perShard.filter((p) => (p[a] ?? 0) > 0).length).toBeGreaterThan(1);
  });

  it("stay exact when every update hits one shard at once", async () => {
    const set = { namespace: env.METRICS, prefix: uid("test-shard"), shards: 1 };
    await Promise.all(Array.from({ length: 200 }, () => addToShards(set, { hot_total: 1 })));
    expect((await readShards(set)).get("hot_total")).toBe(200);
  });

  it("ignore malformed series and non-finite or zero deltas, and keep fractional ones (latency sums)", async () => {
    const stub = env.METRICS.get(env.METRICS.idFromName(uid("test-shard")));
    expect(
      await stub.add({
        "bad name": 1,
        "x\ny": 1,
        sum_ms: 1.5,
        fine_total: 2,
        zero_total: 0,
        nan_total: Number.NaN,
        inf_total: Number.POSITIVE_INFINITY,
      }),
    ).toBe(2);
    expect(await stub.read()).toEqual({ sum_ms: 1.5, fine_total: 2 });
  });

  it("keep every series of a shard in one row: an add of many series is one row written", async () => {
    const stub = env.METRICS.get(env.METRICS.idFromName(uid("test-shard")));
    await stub.add(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`s${i}_total`, 1])));
    await runInDurableObject(stub, (_i, state) => {
      expect(state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM shard").one().n).toBe(1);
    });
    expect(Object.keys(await stub.read())).toHaveLength(20);
  });
});

describe("metrics building blocks", () => {
  it("sharded histogram buckets come out cumulative and end at +Inf = count", () => {
    // Observations as the shards hold them (one raw bucket each), summed as a scrape sums them.
    const sums = new Map<string, number>();
    for (const v of [5, 10, 11, 300, 20_000]) {
      for (const [k, n] of Object.entries(histogramDeltas(STAGE_LATENCY, { stage: 'x"y' }, v)))
        sums.set(k, (sums.get(k) ?? 0) + n);
    }
    const lines = renderGlobal(sums).split("\n");
    expect(lines).toContain('voice_turn_stage_latency_ms_bucket{le="10",stage="x\\"y"} 2');
    expect(lines).toContain('voice_turn_stage_latency_ms_bucket{le="25",stage="x\\"y"} 3');
    expect(lines).toContain('voice_turn_stage_latency_ms_bucket{le="500",stage="x\\"y"} 4');
    expect(lines).toContain('voice_turn_stage_latency_ms_bucket{le="10000",stage="x\\"y"} 4');
    expect(lines).toContain('voice_turn_stage_latency_ms_bucket{le="+Inf",stage="x\\"y"} 5');
    expect(lines).toContain('voice_turn_stage_latency_ms_count{stage="x\\"y"} 5');
    expect(lines).toContain('voice_turn_stage_latency_ms_sum{stage="x\\"y"} 20326');
  });

  it("escapes label values", () => {
    expect(seriesKey("m", { a: 'q"b\\n\nx' })).toBe('m{a="q\\"b\\\\n\\nx"}');
  });

  it("writes one Analytics Engine point per turn, indexed by tenant", () => {
    const points: AnalyticsEngineDataPoint[] = [];
    const fake = {
      ...env,
      ANALYTICS: { writeDataPoint: (p?: AnalyticsEngineDataPoint) => p && points.push(p) },
    } as unknown as Env;
    const result = {
      transcript: { text: "hi", confidence: 1, source: "speech", provider: "deepgram", region: "eu" },
      reply: { text: "hello", audio: { provider: "local" } },
      latencyMs: { stt: 120, nlp: 3, tts: 80, total: 205 },
    } as unknown as TurnResult;
    writeTurnDataPoint(fake, "t_1", "speech", "ok", result);
    expect(points).toEqual([
      { indexes: ["t_1"], blobs: ["t_1", "speech", "ok", "deepgram", "local"], doubles: [120, 3, 80, 205] },
    ]);
    // Without the binding nothing is written and nothing throws.
    writeTurnDataPoint({ ...env, ANALYTICS: undefined } as unknown as Env, "t_1", "speech", "ok", result);
  });
});
