import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { EventMessage, WebhookEvent } from "../../src/call/events";
import { RETRY_WINDOW_MS } from "../../src/events/backoff";
import worker from "../../src/index";
import { api, tenant } from "../helpers/api";
import {
  DEAD_LETTERS,
  deliveryRows,
  drain,
  event,
  HOOK_URL,
  queued,
  queueEnv,
  receiver,
  runBatch,
  webhook,
  type Received,
} from "./helpers";

// The EVENTS queue's consumer (src/events/consumer.ts) driven with the plugin's queue helpers:
// signed deliveries a Standard Webhooks library verifies, at least once under a receiver that fails,
// backoff and the 24-hour window, redirects and the URL rule, disabled and deleted endpoints, the
// dead-letter queue.

afterEach(() => vi.restoreAllMocks());

const eventMessage = (e: WebhookEvent): EventMessage => ({ v: 1, kind: "event", event: e });
const FAST = { timeoutMs: 150 };

function verified(secret: string, got: Received): unknown {
  return new Webhook(secret).verify(got.body, got.headers);
}

describe("delivering an event", () => {
  it("POSTs the event, signed so standardwebhooks verifies it, through the Worker's queue handler", async () => {
    const { tenantId, key } = await tenant();
    const { endpointId, secret } = await webhook(key);
    const { seen } = receiver();
    const { env: testEnv, sent } = queueEnv();
    const e = event(tenantId);
    const batch = createMessageBatch("voice-edge-events", [
      { id: "m1", timestamp: new Date(), attempts: 1, body: eventMessage(e) },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, testEnv, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual(["m1"]);
    expect(sent).toEqual([]);

    expect(seen).toHaveLength(1);
    const got = seen[0] as Received;
    expect(got.url).toBe(HOOK_URL);
    expect(got.redirect).toBe("manual");
    expect(got.headers["content-type"]).toBe("application/json");
    expect(got.headers["user-agent"]).toMatch(/^voice-edge-webhooks\//);
    expect(got.headers["webhook-id"]).toBe(e.id);
    expect(Math.abs(Number(got.headers["webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(60);
    // The receiver's library, not our code, checks the signature; and the body is the event, exactly.
    expect(verified(secret, got)).toEqual(e);
    expect(JSON.parse(got.body)).toEqual(e);
    expect(got.body).not.toContain("whsec_");
    expect(() => new Webhook(`whsec_${btoa("x".repeat(32))}`).verify(got.body, got.headers)).toThrow();

    const [row] = await deliveryRows(tenantId, endpointId);
    expect(row).toMatchObject({ event_id: e.id, status: "delivered", attempts: 1, last_status: 200, last_error: null });
  });

  it("sends an event only to the tenant's enabled endpoints subscribed to its type, and stores no other", async () => {
    const { tenantId, key } = await tenant();
    const other = await tenant();
    const started = await webhook(key, { events: ["call.started"] });
    const ended = await webhook(key, { events: ["call.ended"], url: `${HOOK_URL}/ended` });
    await webhook(key, { events: ["call.started"], url: `${HOOK_URL}/off`, enabled: false });
    await webhook(other.key, { events: ["call.started"], url: `${HOOK_URL}/other` });
    const { seen } = receiver();
    const { env: testEnv } = queueEnv();
    const e = event(tenantId, "call.started");
    await runBatch(testEnv, [queued(eventMessage(e))]);
    expect(seen.map((s) => s.url)).toEqual([HOOK_URL]);
    expect(await deliveryRows(tenantId, started.endpointId)).toHaveLength(1);
    expect(await deliveryRows(tenantId, ended.endpointId)).toHaveLength(0);

    // An event nobody subscribed to is acknowledged and not stored.
    const lonely = event(tenantId, "turn.completed");
    const { acked } = await runBatch(testEnv, [queued(eventMessage(lonely))]);
    expect(acked).toHaveLength(1);
    const stored = await env.DB.prepare("SELECT COUNT(*) AS n FROM webhook_events WHERE event_id = ?")
      .bind(lonely.id)
      .first<{ n: number }>();
    expect(stored?.n).toBe(0);
  });

  it("delivers every event at least once to a receiver that fails, times out and answers 500 for a while", async () => {
    const { tenantId, key } = await tenant();
    const a = await webhook(key, { events: ["call.started", "call.ended"] });
    const b = await webhook(key, { events: ["call.ended"], url: `${HOOK_URL}/b` });
    const secrets = new Map([
      [HOOK_URL, a.secret],
      [`${HOOK_URL}/b`, b.secret],
    ]);
    const tries = new Map<string, number>();
    const processed: Received[] = [];
    const events = Array.from({ length: 12 }, (_, i) => event(tenantId, i % 2 ? "call.ended" : "call.started"));
    // Per endpoint, the i-th event's first i % 4 attempts fail in turn: no connection, no answer in
    // time (after the receiver processed it: a duplicate follows), 500, 503; then 2xx.
    const { seen } = receiver((got) => {
      const k = `${got.url} ${got.headers["webhook-id"]}`;
      const n = (tries.get(k) ?? 0) + 1;
      tries.set(k, n);
      const i = events.findIndex((e) => e.id === got.headers["webhook-id"]);
      if (n > i % 4) {
        processed.push(got);
        return new Response(null, { status: 204 });
      }
      const mode = (n + i) % 4;
      if (mode === 0) return "network";
      if (mode === 1) {
        processed.push(got);
        return "hang";
      }
      return new Response("busy", { status: mode === 2 ? 500 : 503 });
    });
    const { env: testEnv, sent } = queueEnv();
    // Queues delivers at least once too: the first batch holds one event twice, and it comes again later.
    const first = [...events.map((e) => queued(eventMessage(e))), queued(eventMessage(events[0]!))];
    const delays = await drain(testEnv, sent, first, FAST);
    const before = seen.length;
    expect((await runBatch(testEnv, [queued(eventMessage(events[0]!))], FAST)).acked).toHaveLength(1);
    expect(seen.length).toBe(before); // delivered already: not sent again

    const expected = events.flatMap((e) =>
      e.type === "call.ended" ? [`${HOOK_URL} ${e.id}`, `${HOOK_URL}/b ${e.id}`] : [`${HOOK_URL} ${e.id}`],
    );
    const arrived = new Set(processed.map((p) => `${p.url} ${p.headers["webhook-id"]}`));
    expect([...arrived].sort()).toEqual(expected.sort());
    for (const got of seen) {
      // Every attempt, duplicates included, carries the event's own id and verifies.
      const body = verified(secrets.get(got.url)!, got) as WebhookEvent;
      expect(got.headers["webhook-id"]).toBe(body.id);
      expect(events.find((e) => e.id === body.id)).toEqual(body);
    }
    expect(processed.length).toBeGreaterThan(arrived.size); // there were duplicates
    for (const d of delays) expect(d).toBeGreaterThanOrEqual(1);
    // Each delivery row counts the attempts its endpoint saw, and ends delivered.
    const rows = [
      ...(await deliveryRows(tenantId, a.endpointId)).map((r) => ({ ...r, url: HOOK_URL })),
      ...(await deliveryRows(tenantId, b.endpointId)).map((r) => ({ ...r, url: `${HOOK_URL}/b` })),
    ];
    expect(rows).toHaveLength(expected.length);
    for (const row of rows) {
      expect(row).toMatchObject({ status: "delivered", next_attempt_at: null });
      expect(row.attempts).toBe(tries.get(`${row.url} ${row.event_id}`));
    }
  });

  it("retries with growing delays and gives up, failed, 24 hours after the first attempt", async () => {
    const { tenantId, key } = await tenant();
    const { endpointId } = await webhook(key);
    receiver(() => new Response("down", { status: 500 }));
    const { env: testEnv, sent } = queueEnv();
    let clock = Date.now();
    const options = { ...FAST, now: () => clock, random: () => 0 };
    let batch = [queued(eventMessage(event(tenantId)))];
    const delays: number[] = [];
    for (let round = 0; batch.length && round < 100; round++) {
      const before = sent.length;
      const { retried } = await runBatch(testEnv, batch, options);
      const next = [
        ...retried.map((r) => ({ ...batch.find((m) => m.id === r.msgId)!, delay: r.delaySeconds ?? 0 })),
        ...sent.slice(before).map((s) => ({ ...queued(s.body), delay: s.delaySeconds ?? 0 })),
      ];
      for (const m of next) delays.push(m.delay);
      clock += Math.max(0, ...next.map((m) => m.delay)) * 1000;
      batch = next.map(({ delay: _delay, ...m }) => ({ ...m, attempts: m.attempts + 1 }));
    }
    expect(batch).toEqual([]);
    // Equal jitter at its shortest (random 0): half of 5 s, 10 s, 20 s ... capped at half an hour.
    expect(delays.slice(0, 6)).toEqual([3, 5, 10, 20, 40, 80]);
    expect(Math.max(...delays)).toBe(1800);
    const [row] = await deliveryRows(tenantId, endpointId);
    expect(row).toMatchObject({ status: "failed", last_status: 500, last_error: "answered HTTP 500" });
    expect(row!.attempts).toBe(delays.length + 1);
    expect(row!.attempts).toBeLessThan(100); // within the queue's max_retries
    expect(delays.reduce((s, d) => s + d, 0) * 1000).toBeGreaterThanOrEqual(RETRY_WINDOW_MS);
  });

  it("never follows a redirect, and checks the URL rule again at send time", async () => {
    const { tenantId, key } = await tenant();
    const { endpointId } = await webhook(key);
    const { seen } = receiver(
      () => new Response(null, { status: 302, headers: { location: "http://127.0.0.1/admin" } }),
    );
    const { env: testEnv, sent } = queueEnv();
    await runBatch(testEnv, [queued(eventMessage(event(tenantId)))], FAST);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.redirect).toBe("manual");
    const [row] = await deliveryRows(tenantId, endpointId);
    expect(row).toMatchObject({ status: "pending", last_status: 302 });
    expect(row!.last_error).toContain("redirect");
    expect(sent).toHaveLength(1);

    // The stored URL now points inside the network (a rule or a setting changed since the PUT): no request,
    // and the delivery is given up at once, since retrying cannot help.
    await env.DB.prepare(
      "UPDATE webhook_endpoints SET url = 'https://10.1.2.3/hook' WHERE tenant_id = ? AND endpoint_id = ?",
    )
      .bind(tenantId, endpointId)
      .run();
    const { acked, retried } = await runBatch(testEnv, [queued(sent[0]!.body)], FAST);
    expect(acked).toHaveLength(1);
    expect(retried).toEqual([]);
    expect(seen).toHaveLength(1);
    const [after] = await deliveryRows(tenantId, endpointId);
    expect(after).toMatchObject({ status: "failed" });
    expect(after!.last_error).toContain("URL not allowed");
  });

  it("stops delivering to a disabled endpoint (failed) and to a deleted one (its records go)", async () => {
    const { tenantId, key } = await tenant();
    const { endpointId } = await webhook(key);
    const { seen } = receiver(() => new Response("no", { status: 500 }));
    const { env: testEnv, sent } = queueEnv();
    await runBatch(testEnv, [queued(eventMessage(event(tenantId)))], FAST);
    expect(sent).toHaveLength(1);
    await api(`/api/v1/webhooks/${endpointId}`, {
      method: "PUT",
      key,
      json: { url: HOOK_URL, events: ["call.started"], enabled: false },
    });
    const { acked } = await runBatch(testEnv, [queued(sent[0]!.body)], FAST);
    expect(acked).toHaveLength(1);
    expect(seen).toHaveLength(1);
    const [row] = await deliveryRows(tenantId, endpointId);
    expect(row).toMatchObject({ status: "failed", last_error: "the endpoint is disabled", attempts: 1 });
    // New events are not even recorded for it.
    await runBatch(testEnv, [queued(eventMessage(event(tenantId)))], FAST);
    expect(await deliveryRows(tenantId, endpointId)).toHaveLength(1);

    await api(`/api/v1/webhooks/${endpointId}`, { method: "DELETE", key });
    expect(await deliveryRows(tenantId, endpointId)).toEqual([]);
    const gone = await runBatch(testEnv, [queued(sent[0]!.body)], FAST);
    expect(gone.acked).toHaveLength(1);
    expect(seen).toHaveLength(1);
  });

  it("records dead-lettered messages' deliveries as failed, storing an event that never was", async () => {
    const { tenantId, key } = await tenant();
    const { endpointId } = await webhook(key);
    const { seen } = receiver(() => new Response("no", { status: 500 }));
    const { env: testEnv, sent } = queueEnv();
    const e1 = event(tenantId);
    await runBatch(testEnv, [queued(eventMessage(e1))], FAST);
    const dead = await runBatch(testEnv, [queued(sent[0]!.body, 101)], FAST, DEAD_LETTERS);
    expect(dead.acked).toHaveLength(1);
    // The event message itself was dead-lettered (D1 down the whole time): it is stored now, failed.
    const e2 = event(tenantId);
    await runBatch(testEnv, [queued(eventMessage(e2), 101)], FAST, DEAD_LETTERS);
    expect(seen).toHaveLength(1); // the dead-letter queue sends nothing
    const rows = await deliveryRows(tenantId, endpointId);
    expect(rows.map((r) => [r.event_id, r.status])).toEqual(
      expect.arrayContaining([
        [e1.id, "failed"],
        [e2.id, "failed"],
      ]),
    );
    for (const r of rows) expect(r.last_error).toContain("dead-lettered");
  });

  it("keeps at most six attempts of a batch in flight, each timed from its own start", async () => {
    const { tenantId, key } = await tenant();
    const { endpointId } = await webhook(key);
    let inFlight = 0;
    let most = 0;
    vi.spyOn(globalThis, "fetch").mockImplementation(async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 60));
      inFlight--;
      return new Response("ok");
    });
    const { env: testEnv } = queueEnv();
    // Ten events at 60 ms each, six at a time, with a 100 ms timeout: every one is delivered at its first attempt.
    const events = Array.from({ length: 10 }, () => queued(eventMessage(event(tenantId))));
    await runBatch(testEnv, events, { timeoutMs: 100 });
    expect(most).toBe(6);
    const rows = await deliveryRows(tenantId, endpointId);
    expect(rows.map((r) => [r.status, r.attempts])).toEqual(Array.from({ length: 10 }, () => ["delivered", 1]));
  });

  it("writes a batch of events to D1 in two batches, reading each endpoint and type once", async () => {
    const { tenantId, key } = await tenant();
    await webhook(key, { events: ["call.started", "call.ended"] });
    await webhook(key, { events: ["call.started"], url: `${HOOK_URL}/2` });
    const { seen } = receiver();
    const { env: testEnv } = queueEnv();
    const calls: string[] = [];
    const db = testEnv.DB;
    const counted = {
      prepare: (sql: string) => {
        const statement = db.prepare(sql);
        return new Proxy(statement, {
          get(target, prop, receiver) {
            const value: unknown = Reflect.get(target, prop, receiver);
            if (prop === "bind")
              return (...args: unknown[]) => {
                const bound = (value as (...a: unknown[]) => D1PreparedStatement).apply(target, args);
                for (const m of ["first", "all", "run"] as const) {
                  const original = bound[m].bind(bound) as (...a: unknown[]) => Promise<unknown>;
                  (bound as unknown as Record<string, unknown>)[m] = (...a: unknown[]) => {
                    calls.push(`${m} ${sql.trim().split(/\s+/).slice(0, 3).join(" ")}`);
                    return original(...a);
                  };
                }
                return bound;
              };
            return typeof value === "function" ? (value as () => unknown).bind(target) : value;
          },
        });
      },
      batch: (statements: D1PreparedStatement[]) => {
        calls.push(`batch of ${statements.length}`);
        return db.batch(statements);
      },
    } as unknown as D1Database;
    const events = Array.from({ length: 10 }, (_, i) => event(tenantId, i % 2 ? "call.ended" : "call.started"));
    await runBatch(
      { ...testEnv, DB: counted } as Env,
      events.map((e) => queued(eventMessage(e))),
    );
    expect(seen).toHaveLength(15);
    // Reads: the subscribers of each type, each endpoint once. Writes: two batches.
    expect(calls.filter((c) => c.startsWith("batch"))).toEqual(["batch of 35", "batch of 15"]);
    expect(calls.filter((c) => !c.startsWith("batch"))).toHaveLength(4);
  });

  it("acknowledges a message it cannot read instead of retrying it", async () => {
    const { env: testEnv } = queueEnv();
    const { acked, retried } = await runBatch(testEnv, [
      queued({ v: 2, kind: "event" }),
      queued("text"),
      queued({ v: 1, kind: "event", event: { id: "evt_1", type: "call.exploded" } }),
      queued({ v: 1, kind: "delivery", tenantId: "t", endpointId: "../x", eventId: "e" }),
    ]);
    expect(acked).toHaveLength(4);
    expect(retried).toEqual([]);
  });

  it("retries the message, with a delay, when D1 fails under it", async () => {
    const { tenantId, key } = await tenant();
    await webhook(key);
    const failing = {
      ...env,
      DB: {
        prepare: () => {
          throw new Error("D1_ERROR: network connection lost");
        },
        batch: () => Promise.reject(new Error("D1_ERROR: network connection lost")),
      },
    } as unknown as Env;
    const { env: testEnv } = queueEnv();
    const { acked, retried } = await runBatch({ ...testEnv, DB: failing.DB } as Env, [
      queued(eventMessage(event(tenantId)), 3),
    ]);
    expect(acked).toEqual([]);
    expect(retried).toHaveLength(1);
    expect(retried[0]!.delaySeconds).toBeGreaterThanOrEqual(10);
  });
});

describe("what an endpoint receives", () => {
  it("a recording.ready event gets a fresh signed link at each attempt, and no audio", async () => {
    const { tenantId, key } = await tenant();
    const { secret } = await webhook(key, { events: ["recording.ready"] });
    const { seen } = receiver((_got, n) => (n === 1 ? new Response("later", { status: 503 }) : new Response("ok")));
    const { env: testEnv, sent } = queueEnv({ PUBLIC_BASE_URL: "https://voice.example.com" });
    const e = event(tenantId, "recording.ready", { data: { path: "/api/v1/calls/x/recording" } });
    let clock = Date.now();
    await runBatch(testEnv, [queued(eventMessage(e))], { ...FAST, now: () => clock });
    clock += 90_000;
    await runBatch(testEnv, [queued(sent[0]!.body)], { ...FAST, now: () => clock });
    expect(seen).toHaveLength(2);
    const links = seen.map((got) => {
      const body = verified(secret, got) as WebhookEvent<{ path: string; url: string; expiresAt: string }>;
      expect(Object.keys(body).sort()).toEqual(["callId", "createdAt", "data", "id", "sequence", "tenantId", "type"]);
      expect(Object.keys(body.data).sort()).toEqual(["expiresAt", "path", "url"]);
      expect(body.data.path).toBe(`/api/v1/calls/${e.callId}/recording`);
      return body.data;
    });
    expect(links[0]!.url).toMatch(
      new RegExp(
        `^https://voice\\.example\\.com/api/v1/calls/${e.callId}/recording\\?tenant=${tenantId}&expires=\\d+&sig=v1\\.`,
      ),
    );
    expect(links[1]!.url).not.toBe(links[0]!.url);
    expect(Date.parse(links[1]!.expiresAt) - Date.parse(links[0]!.expiresAt)).toBe(90_000);
    for (const got of seen) {
      expect(got.body).not.toContain("whsec_");
      expect(got.body.length).toBeLessThan(1000);
    }
  });
});
