import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { ADMIN_TOKEN, api, startCall, tenant } from "../helpers/api";
import { deliveryRows, event, queued, queueEnv, receiver, runBatch, webhook } from "./helpers";

// What becomes of stored events: erased with their call, expired with the warm tier; and what
// operators see of deliveries in /metrics.

afterEach(() => vi.restoreAllMocks());

const storedEvents = async (tenantId: string) =>
  (
    await env.DB.prepare("SELECT event_id FROM webhook_events WHERE tenant_id = ?").bind(tenantId).all<{
      event_id: string;
    }>()
  ).results.map((r) => r.event_id);

describe("stored events", () => {
  it("are erased with their call (DELETE /calls/{id}), deliveries included; other calls' stay", async () => {
    const { tenantId, key } = await tenant();
    const { endpointId } = await webhook(key);
    receiver();
    const callId = await startCall(key);
    const { env: testEnv } = queueEnv();
    const mine = event(tenantId, "call.started", { callId });
    const other = event(tenantId);
    await runBatch(testEnv, [
      queued({ v: 1, kind: "event", event: mine }),
      queued({ v: 1, kind: "event", event: other }),
    ]);
    expect((await storedEvents(tenantId)).sort()).toEqual([mine.id, other.id].sort());
    expect((await api(`/api/v1/calls/${callId}`, { method: "DELETE", key })).status).toBe(204);
    expect(await storedEvents(tenantId)).toEqual([other.id]);
    expect((await deliveryRows(tenantId, endpointId)).map((r) => r.event_id)).toEqual([other.id]);
  });

  it("expire after WARM_RETENTION_DAYS, with their deliveries (the retention cron)", async () => {
    const { tenantId, key } = await tenant();
    const { endpointId } = await webhook(key);
    receiver();
    const { env: testEnv } = queueEnv();
    const old = event(tenantId, "call.started", { createdAt: new Date(Date.now() - 40 * 86_400_000).toISOString() });
    const fresh = event(tenantId);
    await runBatch(testEnv, [
      queued({ v: 1, kind: "event", event: old }),
      queued({ v: 1, kind: "event", event: fresh }),
    ]);
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: new Date(), cron: "17 3 * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    expect(await storedEvents(tenantId)).toEqual([fresh.id]);
    expect((await deliveryRows(tenantId, endpointId)).map((r) => r.event_id)).toEqual([fresh.id]);
  });
});

describe("delivery metrics", () => {
  it("counts attempts by result, deliveries by outcome, and the event-to-delivery lag in /metrics", async () => {
    const { tenantId, key } = await tenant();
    await webhook(key);
    receiver((_got, n) => (n === 1 ? new Response("no", { status: 500 }) : new Response("ok")));
    const { env: testEnv, sent } = queueEnv();
    const e = event(tenantId, "call.started", { createdAt: new Date(Date.now() - 1500).toISOString() });
    await runBatch(testEnv, [queued({ v: 1, kind: "event", event: e })]);
    await runBatch(testEnv, [queued(sent[0]!.body)]);
    const text = await (await api("/metrics", { key: ADMIN_TOKEN })).text();
    const value = (series: string) =>
      Number(new RegExp(`^${series.replace(/[{}]/g, "\\$&")} (\\S+)$`, "m").exec(text)?.[1]);
    expect(value('voice_event_delivery_attempts_total{result="http_error"}')).toBeGreaterThanOrEqual(1);
    expect(value('voice_event_delivery_attempts_total{result="delivered"}')).toBeGreaterThanOrEqual(1);
    expect(value('voice_event_deliveries_total{outcome="delivered"}')).toBeGreaterThanOrEqual(1);
    expect(value("voice_event_delivery_lag_ms_count")).toBeGreaterThanOrEqual(1);
    // This delivery took at least 1.5 s from the event's creation: in a bucket above 1000 ms.
    expect(value('voice_event_delivery_lag_ms_bucket{le="86400000"}')).toBeGreaterThan(
      value('voice_event_delivery_lag_ms_bucket{le="1000"}'),
    );
    expect(text).toContain("# TYPE voice_event_delivery_lag_ms histogram");
  });
});
