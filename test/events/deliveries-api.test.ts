import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { api, apiRequest, expectProblem, tenant } from "../helpers/api";
import { deliveryRows, event, queued, queueEnv, receiver, runBatch, webhook } from "./helpers";

// GET /webhooks/{id}/deliveries (what an operator or developer sees) and POST .../retry (replay).

afterEach(() => vi.restoreAllMocks());

interface Page {
  deliveries: {
    eventId: string;
    eventType: string;
    callId: string;
    status: string;
    attempts: number;
    lastStatus: number | null;
    lastLatencyMs: number | null;
    lastError: string | null;
    nextAttemptAt: string | null;
    deliveredAt: string | null;
  }[];
  nextCursor?: string;
}

/** POST .../retry through the Worker with `testEnv` (its EVENTS records the message instead of queueing it). */
async function retry(testEnv: Env, key: string, endpointId: string, eventId: string): Promise<Response> {
  const ctx = createExecutionContext();
  const path = `/api/v1/webhooks/${endpointId}/deliveries/${eventId}/retry`;
  const res = await worker.fetch(apiRequest(path, { method: "POST", key }), testEnv, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

async function page(key: string, path: string): Promise<Page> {
  const res = await api(path, { key });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Page;
}

/** An endpoint with three delivered events and two pending (their receiver answered 500). */
async function history() {
  const { tenantId, key } = await tenant();
  const { endpointId } = await webhook(key);
  const { env: testEnv, sent } = queueEnv();
  receiver((_got, n) => (n <= 3 ? new Response("ok") : new Response("down", { status: 500 })));
  const events = Array.from({ length: 5 }, () => event(tenantId));
  // One at a time, so deliveries are created in order.
  for (const e of events) await runBatch(testEnv, [queued({ v: 1, kind: "event", event: e })]);
  vi.restoreAllMocks();
  return { tenantId, key, endpointId, events, testEnv, sent };
}

describe("deliveries of an endpoint", () => {
  it("lists attempts newest first, filters by status, and pages with a cursor", async () => {
    const { key, endpointId, events } = await history();
    const all = await page(key, `/api/v1/webhooks/${endpointId}/deliveries`);
    expect(all.deliveries.map((d) => d.eventId)).toEqual(events.map((e) => e.id).reverse());
    const newest = all.deliveries[0]!;
    expect(newest).toMatchObject({
      eventType: "call.started",
      callId: events[4]!.callId,
      status: "pending",
      attempts: 1,
      lastStatus: 500,
      lastError: "answered HTTP 500",
      deliveredAt: null,
    });
    expect(Date.parse(newest.nextAttemptAt ?? "")).toBeGreaterThan(Date.now());
    expect(all.deliveries[4]).toMatchObject({
      status: "delivered",
      lastStatus: 200,
      lastError: null,
      nextAttemptAt: null,
    });
    expect(all.deliveries[4]!.lastLatencyMs).toBeGreaterThanOrEqual(0);

    const delivered = await page(key, `/api/v1/webhooks/${endpointId}/deliveries?status=delivered`);
    expect(delivered.deliveries.map((d) => d.eventId)).toEqual(
      events
        .slice(0, 3)
        .map((e) => e.id)
        .reverse(),
    );
    const pending = await page(key, `/api/v1/webhooks/${endpointId}/deliveries?status=pending`);
    expect(pending.deliveries).toHaveLength(2);

    const first = await page(key, `/api/v1/webhooks/${endpointId}/deliveries?limit=2`);
    expect(first.deliveries).toHaveLength(2);
    const second = await page(key, `/api/v1/webhooks/${endpointId}/deliveries?limit=2&cursor=${first.nextCursor}`);
    const third = await page(key, `/api/v1/webhooks/${endpointId}/deliveries?limit=2&cursor=${second.nextCursor}`);
    expect(third.nextCursor).toBeUndefined();
    expect([...first.deliveries, ...second.deliveries, ...third.deliveries].map((d) => d.eventId)).toEqual(
      all.deliveries.map((d) => d.eventId),
    );
  });

  it("refuses bad queries with 400 and an unknown endpoint with 404", async () => {
    const { key, endpointId } = await history();
    const base = `/api/v1/webhooks/${endpointId}/deliveries`;
    await expectProblem(await api(`${base}?status=lost`, { key }), 400, "invalid_request");
    await expectProblem(await api(`${base}?limit=500`, { key }), 400, "invalid_request");
    await expectProblem(await api(`${base}?cursor=bm90LWEtY3Vyc29y`, { key }), 400, "invalid_request");
    await expectProblem(await api(`${base}?cursor=%%%`, { key }), 400, "invalid_request");
    await expectProblem(await api(`/api/v1/webhooks/nope/deliveries`, { key }), 404, "webhook_not_found");
  });

  it("retries one delivery now: 202, a delivery message on the queue, and the next attempt is sent", async () => {
    const { tenantId, key, endpointId, events, testEnv, sent } = await history();
    const last = events[4]!;
    const before = sent.length;
    const res = await retry(testEnv, key, endpointId, last.id);
    expect(res.status, await res.clone().text()).toBe(202);
    expect(await res.json()).toEqual({ endpointId, eventId: last.id, status: "pending" });
    const message = { v: 1, kind: "delivery", tenantId, endpointId, eventId: last.id };
    expect(sent.slice(before)).toEqual([{ body: message }]);

    // What the consumer then does with that message: the event is sent again, now.
    const { seen } = receiver();
    const { acked } = await runBatch(testEnv, [queued(message)]);
    expect(acked).toHaveLength(1);
    expect(seen.map((s) => s.headers["webhook-id"])).toEqual([last.id]);
    const row = (await deliveryRows(tenantId, endpointId)).find((r) => r.event_id === last.id);
    expect(row).toMatchObject({ status: "delivered", attempts: 2 });
  });

  it(
    "retries through the real queue: Miniflare hands the message to the Worker's consumer",
    { timeout: 20_000 },
    async () => {
      const { tenantId, key, endpointId, events } = await history();
      const failed = events[3]!;
      const { seen } = receiver();
      const res = await api(`/api/v1/webhooks/${endpointId}/deliveries/${failed.id}/retry`, { method: "POST", key });
      expect(res.status).toBe(202);
      let row;
      for (let i = 0; i < 150; i++) {
        row = (await deliveryRows(tenantId, endpointId)).find((r) => r.event_id === failed.id);
        if (row?.status === "delivered") break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(row).toMatchObject({ status: "delivered", attempts: 2 });
      expect(seen.map((s) => s.headers["webhook-id"])).toEqual([failed.id]);
    },
  );

  it("replays a delivered event (same webhook-id), and refuses a disabled endpoint or an unknown event", async () => {
    const { tenantId, key, endpointId, events, testEnv } = await history();
    const delivered = events[0]!;
    const res = await retry(testEnv, key, endpointId, delivered.id);
    expect(res.status).toBe(202);
    const { seen } = receiver();
    await runBatch(testEnv, [queued({ v: 1, kind: "delivery", tenantId, endpointId, eventId: delivered.id })]);
    expect(seen.map((s) => s.headers["webhook-id"])).toEqual([delivered.id]);

    await expectProblem(
      await api(`/api/v1/webhooks/${endpointId}/deliveries/evt_unknown/retry`, { method: "POST", key }),
      404,
      "delivery_not_found",
    );
    await expectProblem(
      await api(`/api/v1/webhooks/${endpointId}/deliveries/bad.id/retry`, { method: "POST", key }),
      400,
      "invalid_request",
    );
    await api(`/api/v1/webhooks/${endpointId}`, {
      method: "PUT",
      key,
      json: { url: "https://hooks.example.com/voice-edge", events: ["call.started"], enabled: false },
    });
    await expectProblem(
      await api(`/api/v1/webhooks/${endpointId}/deliveries/${delivered.id}/retry`, { method: "POST", key }),
      409,
      "webhook_disabled",
    );
  });
});
