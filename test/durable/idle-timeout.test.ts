import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, startCall, tenant } from "../helpers/api";
import { ageCall, callObject } from "../helpers/objects";

/** After a turn the object runs its outbox from an alarm set to "now", then re-arms the idle alarm. */
async function untilAlarmIsTheIdleDeadline(tenantId: string, callId: string) {
  for (let i = 0; i < 100; i++) {
    const alarm = await runInDurableObject(callObject(tenantId, callId), (_i, state) => state.storage.getAlarm());
    const outbox = await runInDurableObject(callObject(tenantId, callId), (_i, state) => state.storage.sql.exec("SELECT job FROM outbox").toArray());
    if (alarm !== null && outbox.length === 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("the idle alarm was never re-armed");
}

describe("idle timeout", () => {
  it("schedules an alarm at the idle deadline", async () => {
    const { tenantId, key } = await tenant();
    const callId = await startCall(key);
    const alarm = await runInDurableObject(callObject(tenantId, callId), (_i, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();
    expect((alarm as number) - Date.now()).toBeGreaterThan(290_000);
    expect((alarm as number) - Date.now()).toBeLessThanOrEqual(300_000);
  });

  it("keeps an active call when the alarm fires early", async () => {
    const { tenantId, key } = await tenant();
    const callId = await startCall(key);
    expect(await runDurableObjectAlarm(callObject(tenantId, callId))).toBe(true);
    const view = (await (await api(`/api/v1/calls/${callId}`, { key })).json()) as { status: string; tier: string };
    expect(view).toMatchObject({ status: "active", tier: "hot" });
  });

  it("ends and archives an idle call from its alarm", async () => {
    const { tenantId, key } = await tenant();
    const callId = await startCall(key);
    await api(`/api/v1/calls/${callId}/turns?reply=text`, { method: "POST", key, json: { text: "billing" } });
    await untilAlarmIsTheIdleDeadline(tenantId, callId);
    await ageCall(tenantId, callId, 301);
    expect(await runDurableObjectAlarm(callObject(tenantId, callId))).toBe(true);
    const view = (await (await api(`/api/v1/calls/${callId}`, { key })).json()) as { status: string; tier: string; endReason: string; history: unknown[] };
    expect(view).toMatchObject({ status: "ended", tier: "warm", endReason: "idle_timeout" });
    expect(view.history).toHaveLength(3);
    expect(await env.ARCHIVE.head(`tenants/${tenantId}/calls/${callId}/transcript.json`)).not.toBeNull();
  });

  it("survives eviction: state is in storage, not in memory", async () => {
    const { tenantId, key } = await tenant();
    const callId = await startCall(key);
    await api(`/api/v1/calls/${callId}/turns?reply=text`, { method: "POST", key, json: { text: "billing" } });
    await evictDurableObject(callObject(tenantId, callId));
    const t = await api(`/api/v1/calls/${callId}/turns?reply=text`, { method: "POST", key, json: { text: "technical support" } });
    expect(((await t.json()) as { turnId: string }).turnId).toBe("turn-2");
    const view = (await (await api(`/api/v1/calls/${callId}`, { key })).json()) as { history: unknown[]; tier: string };
    expect(view.history).toHaveLength(5);
  });
});
