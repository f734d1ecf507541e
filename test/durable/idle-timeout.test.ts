import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, startCall, tenant } from "../helpers/api";
import { ageCall, callObject, jobsOf, makeJobsDue } from "../helpers/objects";

async function alarmOf(tenantId: string, callId: string): Promise<number | null> {
  return runInDurableObject(callObject(tenantId, callId), (_i, state) => state.storage.getAlarm());
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
    await ageCall(tenantId, callId, 301);
    expect(await runDurableObjectAlarm(callObject(tenantId, callId))).toBe(true);
    const view = (await (await api(`/api/v1/calls/${callId}`, { key })).json()) as {
      status: string;
      tier: string;
      endReason: string;
      history: unknown[];
    };
    expect(view).toMatchObject({ status: "ended", tier: "warm", endReason: "idle_timeout" });
    expect(view.history).toHaveLength(3);
    expect(await env.ARCHIVE.head(`tenants/${tenantId}/calls/${callId}/transcript.json`)).not.toBeNull();
  });

  it("survives eviction: state is in storage, not in memory", async () => {
    const { tenantId, key } = await tenant();
    const callId = await startCall(key);
    await api(`/api/v1/calls/${callId}/turns?reply=text`, { method: "POST", key, json: { text: "billing" } });
    await evictDurableObject(callObject(tenantId, callId));
    const t = await api(`/api/v1/calls/${callId}/turns?reply=text`, {
      method: "POST",
      key,
      json: { text: "technical support" },
    });
    expect(((await t.json()) as { turnId: string }).turnId).toBe("turn-2");
    const view = (await (await api(`/api/v1/calls/${callId}`, { key })).json()) as { history: unknown[]; tier: string };
    expect(view.history).toHaveLength(5);
  });

  it(
    "indexes a live call in D1 at most SYNC_INTERVAL_SECONDS (90 s) " +
      "behind its turns, with one alarm, not one per turn",
    async () => {
      const { tenantId, key } = await tenant();
      const callId = await startCall(key);
      const indexed = async () =>
        (
          await env.DB.prepare("SELECT turn_count FROM calls WHERE tenant_id = ? AND call_id = ?")
            .bind(tenantId, callId)
            .first<{ turn_count: number }>()
        )?.turn_count;
      expect(await indexed()).toBe(0); // creation indexes at once
      for (const text of ["billing", "technical support"]) {
        await api(`/api/v1/calls/${callId}/turns?reply=text`, { method: "POST", key, json: { text } });
      }
      const due = (await alarmOf(tenantId, callId)) as number;
      expect(due - Date.now()).toBeGreaterThan(50_000);
      expect(due - Date.now()).toBeLessThanOrEqual(90_000);
      const jobs = await jobsOf(callObject(tenantId, callId));
      expect(jobs.map((j) => j.job)).toEqual(["index"]); // one pending index for both turns
      expect(await indexed()).toBe(0);

      // 90 s later the alarm writes the index once, and the next alarm is the idle deadline.
      await makeJobsDue(callObject(tenantId, callId));
      expect(await runDurableObjectAlarm(callObject(tenantId, callId))).toBe(true);
      expect(await indexed()).toBe(2);
      expect(((await alarmOf(tenantId, callId)) as number) - Date.now()).toBeGreaterThan(290_000);
    },
  );
});
