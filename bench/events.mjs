#!/usr/bin/env node
// bench:events — events delivered to a tenant's webhook endpoint (issue 20, docs/events.md).
// Starts a local receiver (a Node HTTP server on 127.0.0.1 that checks every request's Standard
// Webhooks signature with the `standardwebhooks` package, answers 500 to --fail (20%) of the events
// at their first attempt, chosen at random with --seed, and 204 to everything else) and a local
// Worker of its own (bench/lib/dev-server.mjs, D1 migrated, ALLOW_PRIVATE_TOOL_URLS=true), and
// registers one endpoint for every event type. Then --calls (1,000) calls' worth of events, from:
//   --source calls (default): real calls through the API, at --call-rate calls a second with at most
//     --concurrency at once: POST /calls (its greeting spoken by the embedded engine, so the call
//     holds audio), --turns (3) text turns (reply=text), POST /end. Each call's object records
//     call.started, turn.completed per turn, call.ended and recording.ready and sends them to the
//     local EVENTS queue (Miniflare's, max_batch_size 10, max_batch_timeout 1 s), whose consumer is
//     the Worker's queue() handler. createdAt is the object's, when it recorded the event.
//   --source queue: no calls; `{ kind: "event" }` messages (the same six a call, made up here) handed
//     straight to the queue() handler in batches of 10 through Miniflare's dispatch
//     (bench/lib/start-worker.mjs) at --rate events a second, --inflight batches at once: the
//     consumer alone, without the calls' cost or the queue's batching wait. createdAt is when the
//     event was due, so a backlog counts in the lag.
// In both, a failed first attempt is retried through the local queue with the consumer's own delay.
// Measured:
//   - delivered share: events the receiver answered 2xx at least once, of the --calls × (--turns + 3)
//     expected;
//   - duplicates: 2xx answers beyond an event's first (the receiver would drop them by webhook-id);
//   - lag: createdAt → the receiver's first 2xx, one clock. p50/p99 over the events whose first
//     attempt succeeded (target p99 ≤ 5 s); apart, over those failed on purpose (their retry waits the
//     backoff's first delay, 3-5 s, by design);
//   - D1's account afterwards (GET /webhooks/{id}/deliveries): delivered, pending, failed.
// Usage: npm run bench:events -- [--source calls|queue] [--calls 1000] [--turns 3] [--call-rate 4]
//          [--concurrency 20] [--rate 100] [--inflight 8] [--fail 0.2] [--drain 120] [--seed 1]
import { createServer } from "node:http";
import { randomBytes } from "node:crypto";
import { loadavg } from "node:os";
import { Webhook } from "standardwebhooks";
import { ADMIN_TOKEN, client, UNLIMITED } from "./lib/api.mjs";
import { sleep, startDevServer } from "./lib/dev-server.mjs";
import { f1, pct } from "./lib/load.mjs";
import { machineLines } from "./lib/machine.mjs";
import { seeded } from "./lib/seeded.mjs";

export const TARGETS = { deliveredShare: 1, p99Ms: 5000 };
const QUEUE = "voice-edge-events";
const EVENT_TYPES = ["call.started", "turn.completed", "call.ended", "recording.ready", "call.analyzed"];
const ENDPOINT_ID = "bench";
const TEXT = "I would like to check my account balance please";

/**
 * The tenant's backend: verifies signatures, fails the first attempt of a --fail share of the events
 * (decided when an event is first seen), records every answer by webhook-id.
 */
function startReceiver(o) {
  const random = seeded(o.seed);
  let wh; // set once the endpoint exists and its secret is known
  const seen = new Map(); // webhook-id → { attempts, ok: [at...], createdAt, failedFirst }
  const stats = { requests: 0, badSignatures: 0, failedOnPurpose: 0 };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const at = Date.now();
      stats.requests++;
      const body = Buffer.concat(chunks).toString("utf8");
      const id = req.headers["webhook-id"];
      try {
        wh.verify(body, req.headers);
      } catch {
        // no secret yet, or a signature that does not verify
        stats.badSignatures++;
      }
      let entry = seen.get(id);
      if (!entry) {
        const event = JSON.parse(body);
        entry = {
          attempts: 0,
          ok: [],
          type: event.type,
          createdAt: Date.parse(event.createdAt),
          failedFirst: random() < o.fail,
        };
        seen.set(id, entry);
      }
      entry.attempts++;
      if (entry.attempts === 1 && entry.failedFirst) {
        stats.failedOnPurpose++;
        res.writeHead(500).end("not now");
        return;
      }
      entry.ok.push(at);
      res.writeHead(204).end();
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${server.address().port}/hook`,
        seen,
        stats,
        setSecret: (secret) => (wh = new Webhook(secret)),
        close: () => new Promise((r) => server.close(r)),
      }),
    ),
  );
}

/** Real calls through the API: create (spoken greeting), text turns, end. */
async function produceByCalls(o, api, key) {
  const failures = [];
  let started = 0;
  let next = 0;
  const t0 = Date.now();
  const oneCall = async (i) => {
    try {
      const { callId } = await api.must("/api/v1/calls", {
        method: "POST",
        token: key,
        json: { callId: `bench-call-${String(i).padStart(5, "0")}` },
      });
      for (let t = 0; t < o.turns; t++)
        await api.must(`/api/v1/calls/${callId}/turns?reply=text`, {
          method: "POST",
          token: key,
          json: { text: TEXT },
        });
      await api.must(`/api/v1/calls/${callId}/end`, { method: "POST", token: key });
    } catch (err) {
      failures.push(err.message);
    }
  };
  const running = new Set();
  while (next < o.calls) {
    const due = Math.floor(((Date.now() - t0) / 1000) * o.callRate) + 1;
    while (next < Math.min(due, o.calls) && running.size < o.concurrency) {
      const p = oneCall(next++).finally(() => running.delete(p));
      running.add(p);
      started++;
    }
    await sleep(10);
  }
  await Promise.all(running);
  return { started, failures, seconds: (Date.now() - t0) / 1000 };
}

/** The events of one made-up call, in order, without createdAt (set when due). */
function callEvents(tenantId, i, turns, random) {
  const callId = `bench-call-${String(i).padStart(5, "0")}`;
  const lines = [];
  const started = { language: "en-US", flow: "contact-center", userId: null, metadata: {}, residency: null };
  const events = [{ type: "call.started", data: started }];
  for (let t = 1; t <= turns; t++) {
    const turnId = `turn-${t}`;
    const reply = "Your balance is $42.10. Is there anything else I can help you with?";
    lines.push({ turnId, role: "user", text: TEXT, at: new Date().toISOString() });
    lines.push({ turnId, role: "assistant", text: reply, at: new Date().toISOString() });
    const latencyMs = { stt: 0, nlp: 2, tts: 0 };
    const intent = { name: "check_balance", confidence: 0.93 };
    events.push({ type: "turn.completed", data: { turnId, source: "text", text: TEXT, reply, intent, latencyMs } });
  }
  const durationMs = 30_000 + Math.round(random() * 60_000);
  events.push({ type: "call.ended", data: { reason: "client", durationMs, turnCount: turns, transcript: lines } });
  events.push({ type: "recording.ready", data: { path: `/api/v1/calls/${callId}/recording` } });
  return events.map((e, k) => ({ id: `evt_${callId}_${k + 1}`, tenantId, callId, sequence: k + 1, ...e }));
}

/** Made-up events handed straight to the Worker's queue() handler, paced. */
async function produceByQueue(o, server, tenantId) {
  const random = seeded(o.seed + 1);
  const perCall = o.turns + 3;
  const gapMs = (1000 * perCall) / o.rate;
  const all = [];
  for (let i = 0; i < o.calls; i++)
    for (const [k, event] of callEvents(tenantId, i, o.turns, random).entries())
      all.push({ dueMs: (i + k) * gapMs, event });
  all.sort((a, b) => a.dueMs - b.dueMs);
  let inflight = 0;
  let next = 0;
  let messages = 0;
  const failures = [];
  const again = [];
  const pending = new Set();
  const t0 = Date.now();
  const dispatch = async (batch) => {
    inflight++;
    const result = await server.queueBatch(QUEUE, batch);
    inflight--;
    if (result.error) failures.push(result.error);
    // A message the consumer retried is handed over again, as Queues would (its delay is not waited here).
    for (const r of result.retryMessages ?? []) {
      const m = batch.find((b) => b.id === r.msgId);
      if (m) again.push({ ...m, attempts: m.attempts + 1 });
    }
  };
  while (next < all.length || again.length || inflight) {
    const now = Date.now() - t0;
    while (inflight < o.inflight && (again.length || (next < all.length && all[next].dueMs <= now))) {
      const batch = again.splice(0, 10);
      while (batch.length < 10 && next < all.length && all[next].dueMs <= now) {
        const { event, dueMs } = all[next++];
        // The event happened when it was due: a batch waiting for a free consumer counts in its lag.
        event.createdAt = new Date(t0 + dueMs).toISOString();
        batch.push({ id: `m${++messages}`, body: { v: 1, kind: "event", event }, attempts: 1 });
      }
      const p = dispatch(batch).finally(() => pending.delete(p));
      pending.add(p);
    }
    await sleep(5);
  }
  await Promise.all(pending);
  return { started: o.calls, failures, seconds: (Date.now() - t0) / 1000 };
}

async function run(o) {
  console.log(`voice-edge bench (events), ${new Date().toISOString()}`);
  for (const line of machineLines()) console.log(line);
  const expected = o.calls * (o.turns + 3);
  console.log(
    `parameters: ${o.calls} calls × (call.started, ${o.turns} turn.completed, call.ended, recording.ready) = ` +
      `${expected} events, ` +
      (o.source === "calls"
        ? `from real calls (create with a spoken greeting, ${o.turns} text turns, end) at ${o.callRate} calls/s, ` +
          `at most ${o.concurrency} at once, through the local EVENTS queue`
        : `made up and handed to the consumer at ${o.rate} events/s in batches of 10, at most ${o.inflight} ` +
          "batches at once") +
      `; the receiver fails ${Math.round(o.fail * 100)}% of events at their first attempt (HTTP 500), seed ${o.seed}`,
  );
  let server;
  let receiver;
  const workerEvents = new Map();
  try {
    server = await startDevServer({
      label: "voice-edge-events",
      vars: [
        `ADMIN_TOKEN=${ADMIN_TOKEN}`,
        `ARCHIVE_KEYS=bench:${randomBytes(32).toString("base64")}`,
        ...UNLIMITED,
        "STT_PROVIDERS=",
        "TTS_PROVIDERS=local",
        "ALLOW_PRIVATE_TOOL_URLS=true",
      ],
      migrate: true,
      onLine: (line) => {
        const event = /"event":"([a-z_]+)"/.exec(line)?.[1];
        if (event && /event|webhook|failed|error/.test(event))
          workerEvents.set(event, (workerEvents.get(event) ?? 0) + 1);
      },
    });
    const api = client(server.base);
    const tenantId = `bench-events-${randomBytes(4).toString("hex")}`;
    const { key } = await api.must("/api/v1/admin/keys", {
      method: "POST",
      token: ADMIN_TOKEN,
      json: { tenantId, scopes: ["admin", "calls:write", "calls:read"] },
    });
    receiver = await startReceiver(o);
    const endpoint = await api.must(`/api/v1/webhooks/${ENDPOINT_ID}`, {
      method: "PUT",
      token: key,
      json: { url: receiver.url, events: EVENT_TYPES },
    });
    receiver.setSecret(endpoint.secret);
    console.log(`voice-edge ${server.base}, receiver ${receiver.url}; endpoint '${ENDPOINT_ID}' of ${tenantId}`);

    const cpuBefore = server.cpuSeconds();
    const t0 = Date.now();
    const produced =
      o.source === "calls" ? await produceByCalls(o, api, key) : await produceByQueue(o, server, tenantId);
    // The retries of failed first attempts come back through the local queue after their delay.
    const deadline = Date.now() + o.drainS * 1000;
    const delivered = () => [...receiver.seen.values()].filter((e) => e.ok.length).length;
    while (delivered() < expected && Date.now() < deadline) await sleep(250);
    const totalS = (Date.now() - t0) / 1000;
    const cpu = cpuBefore === null ? NaN : server.cpuSeconds() - cpuBefore;
    await sleep(2000); // late duplicates, if any, would come within the queue's batch timeout

    const lagFirst = [];
    const lagRetried = [];
    let duplicates = 0;
    let withDuplicates = 0;
    for (const e of receiver.seen.values()) {
      if (!e.ok.length) continue;
      if (e.ok.length > 1) {
        duplicates += e.ok.length - 1;
        withDuplicates++;
      }
      (e.failedFirst ? lagRetried : lagFirst).push(e.ok[0] - e.createdAt);
    }
    lagFirst.sort((a, b) => a - b);
    lagRetried.sort((a, b) => a - b);
    const n = delivered();

    // D1's own account of the deliveries.
    const statuses = { delivered: 0, pending: 0, failed: 0 };
    let cursor;
    do {
      const page = await api.must(
        `/api/v1/webhooks/${ENDPOINT_ID}/deliveries?limit=100${cursor ? `&cursor=${cursor}` : ""}`,
        { token: key },
      );
      for (const d of page.deliveries) statuses[d.status]++;
      cursor = page.nextCursor;
    } while (cursor);

    console.log("");
    console.log(
      `produced ${o.source === "calls" ? `${produced.started} calls` : `${expected} events`} in ` +
        `${f1(produced.seconds)} s (${f1(expected / produced.seconds)} events/s)` +
        `${produced.failures.length ? `, ${produced.failures.length} failed (${produced.failures[0]})` : ""}; ` +
        `all delivered after ${f1(totalS)} s; the receiver answered ${receiver.stats.requests} requests ` +
        `(${receiver.stats.failedOnPurpose} failed on purpose), bad signatures ${receiver.stats.badSignatures}`,
    );
    console.log(
      `delivered share   ${((n / expected) * 100).toFixed(2)}% (${n} of ${expected} expected; ` +
        `${receiver.seen.size} distinct webhook-ids seen)   target 100%: ${n === expected ? "met" : "NOT met"}`,
    );
    console.log(`duplicates        ${duplicates} (${withDuplicates} events answered 2xx more than once)`);
    console.log(
      `lag, first attempt ok   n ${lagFirst.length}: p50 ${f1(pct(lagFirst, 50))} ms, p95 ${f1(pct(lagFirst, 95))} ` +
        `ms, p99 ${f1(pct(lagFirst, 99))} ms, max ${f1(lagFirst.at(-1))} ms   target p99 ≤ ${TARGETS.p99Ms} ms: ` +
        `${pct(lagFirst, 99) <= TARGETS.p99Ms ? "met" : "NOT met"}`,
    );
    const byType = EVENT_TYPES.flatMap((type) => {
      const lags = [...receiver.seen.values()]
        .filter((e) => e.type === type && e.ok.length && !e.failedFirst)
        .map((e) => e.ok[0] - e.createdAt)
        .sort((a, b) => a - b);
      return lags.length ? [`${type} ${f1(pct(lags, 50))} / ${f1(pct(lags, 99))}`] : [];
    });
    console.log(`  by type, p50 / p99 ms: ${byType.join("; ")}`);
    console.log(
      `lag, failed on purpose  n ${lagRetried.length}: p50 ${f1(pct(lagRetried, 50))} ms, p99 ` +
        `${f1(pct(lagRetried, 99))} ms (one retry, after the backoff's first delay of 3-5 s and the queue's batching)`,
    );
    console.log(
      `D1 deliveries     delivered ${statuses.delivered}, pending ${statuses.pending}, failed ${statuses.failed}`,
    );
    console.log(
      `Worker CPU        ${f1((cpu * 1000) / expected)} ms an event, ${o.source === "calls" ? "calls included " : ""}` +
        `(workerd and wrangler's Node, /proc, whole run); load ${loadavg()
          .map((l) => l.toFixed(2))
          .join(" ")}`,
    );
    if (workerEvents.size)
      console.log(`Worker log        ${[...workerEvents].map(([e, c]) => `${e} ×${c}`).join(", ")}`);
  } finally {
    await server?.stop();
    await receiver?.close();
  }
}

function parseArgs(argv) {
  const o = {
    source: "calls",
    calls: 1000,
    turns: 3,
    callRate: 4,
    concurrency: 20,
    rate: 100,
    inflight: 8,
    fail: 0.2,
    drainS: 120,
    seed: 1,
  };
  const numbers = {
    "--calls": "calls",
    "--turns": "turns",
    "--call-rate": "callRate",
    "--concurrency": "concurrency",
    "--rate": "rate",
    "--inflight": "inflight",
    "--fail": "fail",
    "--drain": "drainS",
    "--seed": "seed",
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split("=", 2);
    const value = () => inline ?? argv[++i];
    if (flag === "--source") o.source = value();
    else if (numbers[flag]) o[numbers[flag]] = Number(value());
    else {
      console.error(`bench:events: unknown option ${flag}; options: --source ${Object.keys(numbers).join(" ")}`);
      process.exit(2);
    }
  }
  if (!["calls", "queue"].includes(o.source)) {
    console.error("bench:events: --source is calls or queue");
    process.exit(2);
  }
  return o;
}

if (import.meta.url === `file://${process.argv[1]}`)
  run(parseArgs(process.argv.slice(2))).catch((err) => {
    console.error(`bench:events failed: ${err.message}`);
    process.exitCode = 1;
  });
