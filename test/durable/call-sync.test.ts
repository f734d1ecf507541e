import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { CallSession } from "../../src/durable/call-session";
import type { CallStore } from "../../src/storage/call-store";
import { TAIL_TURNS } from "../../src/storage/call-row";
import type { Pending } from "../../src/storage/call-row";
import { ADMIN_TOKEN, api, startCall, tenant } from "../helpers/api";
import { callObject, jobsOf, makeJobsDue, setCallBindings } from "../helpers/objects";
import dtmfWav from "../fixtures/audio/dtmf-1234H-8k.wav";

// What a turn costs in storage (issue 7's scale model): one row in the call's object, nothing in
// D1 or the metrics shards until the call's sync, which then writes the turns' audit uses as one
// row and their metric deltas as one shard update.

type Stub = DurableObjectStub<CallSession>;

function storeOf(instance: CallSession): CallStore {
  return (instance as unknown as { store: CallStore }).store;
}

const rowsWritten = (stub: Stub) => runInDurableObject(stub, (instance: CallSession) => storeOf(instance).rowsWritten);
const pending = (stub: Stub) =>
  runInDurableObject(stub, (instance: CallSession): Pending => storeOf(instance).pending());

/** Makes the pending sync due now and runs the alarm. */
async function syncNow(stub: Stub) {
  await makeJobsDue(stub);
  return runDurableObjectAlarm(stub);
}

/** Audit rows about one call (the key's own creation is another target). */
async function auditRows(tenantId: string, callId: string) {
  return (
    (
      await env.DB.prepare("SELECT COUNT(*) AS n FROM audit_log WHERE tenant_id = ? AND target = ?")
        .bind(tenantId, callId)
        .first<{ n: number }>()
    )?.n ?? 0
  );
}

const failingDb = new Proxy(env.DB, {
  get(target, prop) {
    if (prop === "batch") return () => Promise.reject(new Error("injected D1 outage"));
    const value = Reflect.get(target, prop) as unknown;
    return typeof value === "function" ? value.bind(target) : value;
  },
});

describe("a call's sync (D1 index, audit log, metrics shards)", () => {
  it("costs one row in the call's object per turn, and the turns' audit uses one D1 row at the sync", async () => {
    const { tenantId, key } = await tenant();
    const keyId = key.split("_")[1] as string;
    const callId = await startCall(key);
    const stub = callObject(tenantId, callId);
    for (let i = 1; i <= 3; i++) {
      const before = await rowsWritten(stub);
      const res = await api(`/api/v1/calls/${callId}/turns?reply=text`, {
        method: "POST",
        key,
        json: { text: "billing" },
        headers: { "X-Request-Id": `sync-turn-${i}` },
      });
      expect(res.status).toBe(200);
      expect((await rowsWritten(stub)) - before, `turn ${i}`).toBe(1);
    }
    // Nothing reached D1's audit log for the call yet: the call holds its uses (the create's too) and their figures.
    expect(await auditRows(tenantId, callId)).toBe(0);
    const held = await pending(stub);
    expect(held.uses.map((u) => u.action)).toEqual(["call.create", "call.turn", "call.turn", "call.turn"]);
    expect(held.uses.slice(1).map((u) => u.requestId)).toEqual(["sync-turn-1", "sync-turn-2", "sync-turn-3"]);
    expect(held.metrics).not.toHaveProperty("voice_calls_started_total"); // sent at create (the next test)
    expect(held.metrics['voice_turns_total{outcome="ok",source="text"}']).toBe(3);

    expect(await syncNow(stub)).toBe(true);
    expect(await auditRows(tenantId, callId)).toBe(1); // four uses, one row
    expect(await pending(stub)).toEqual({ metrics: {}, uses: [] });
    // The API still lists one entry per use, each with its own request id.
    const { entries } = (await (
      await api(`/api/v1/admin/audit?tenantId=${tenantId}`, { key: ADMIN_TOKEN })
    ).json()) as { entries: { action: string; actor: string; requestId: string; target: string }[] };
    const turns = entries.filter((e) => e.action === "call.turn");
    expect(turns.map((e) => e.requestId).sort()).toEqual(["sync-turn-1", "sync-turn-2", "sync-turn-3"]);
    expect(entries.filter((e) => e.action === "call.create" && e.target === callId)).toHaveLength(1);
    for (const e of turns) expect(e).toMatchObject({ actor: keyId, target: callId });
  });

  it(
    "costs one more row, the history row, on the turn that moves " +
      `the last ${TAIL_TURNS} turns out of the session row`,
    async () => {
      const { tenantId, key } = await tenant();
      const callId = await startCall(key);
      const stub = callObject(tenantId, callId);
      const costs: number[] = [];
      for (let i = 1; i <= TAIL_TURNS; i++) {
        const before = await rowsWritten(stub);
        expect(
          (await api(`/api/v1/calls/${callId}/turns?reply=text`, { method: "POST", key, json: { text: "billing" } }))
            .status,
        ).toBe(200);
        costs.push((await rowsWritten(stub)) - before);
      }
      // The greeting is the tail's first group, so turn TAIL_TURNS - 1 fills it: the session row and
      // one history row (no AUTOINCREMENT sequence row with it).
      expect(costs).toEqual(Array.from({ length: TAIL_TURNS }, (_, i) => (i === TAIL_TURNS - 2 ? 2 : 1)));
      const history = (await (await api(`/api/v1/calls/${callId}`, { key })).json()) as {
        history: { turnId: string; role: string }[];
      };
      expect(history.history.map((e) => e.turnId)).toEqual([
        "turn-0",
        ...Array.from({ length: TAIL_TURNS }, (_, i) => [`turn-${i + 1}`, `turn-${i + 1}`]).flat(),
      ]);
    },
  );

  it("counts the call's start on the shards at create, and never again with its syncs", async () => {
    const { tenantId, key } = await tenant();
    const callId = await startCall(key);
    const stub = callObject(tenantId, callId);
    // Sent at once: nothing about the start is pending any more, though storage still holds it
    // until the row's next write (a turn), which costs no row of its own.
    expect((await pending(stub)).metrics).toEqual({});
    const stored = async () =>
      runInDurableObject(
        stub,
        (_i, state) =>
          (
            JSON.parse(state.storage.sql.exec<{ json: string }>("SELECT json FROM session").one().json) as {
              pending: Pending;
            }
          ).pending.metrics,
      );
    expect(await stored()).toMatchObject({ voice_calls_started_total: 1 });
    const before = await rowsWritten(stub);
    expect(
      (await api(`/api/v1/calls/${callId}/turns?reply=text`, { method: "POST", key, json: { text: "billing" } }))
        .status,
    ).toBe(200);
    expect((await rowsWritten(stub)) - before).toBe(1);
    expect(await stored()).not.toHaveProperty("voice_calls_started_total");
    expect((await pending(stub)).metrics).not.toHaveProperty("voice_calls_started_total");
    expect((await pending(stub)).metrics['voice_turns_total{outcome="ok",source="text"}']).toBe(1);
  });

  it("queues the sync SYNC_INTERVAL_SECONDS after a turn (90 s unless set)", async () => {
    const { tenantId, key } = await tenant();
    const due = async (vars: Record<string, string>) => {
      const callId = await startCall(key);
      const stub = callObject(tenantId, callId);
      await setCallBindings(tenantId, callId, vars);
      const before = Date.now();
      expect(
        (await api(`/api/v1/calls/${callId}/turns?reply=text`, { method: "POST", key, json: { text: "billing" } }))
          .status,
      ).toBe(200);
      const sync = (await jobsOf(stub)).find((j) => j.job === "index");
      return (sync?.nextAt ?? 0) - before;
    };
    const byDefault = await due({});
    expect(byDefault).toBeGreaterThanOrEqual(89_000);
    expect(byDefault).toBeLessThanOrEqual(91_000);
    const slower = await due({ SYNC_INTERVAL_SECONDS: "300" });
    expect(slower).toBeGreaterThanOrEqual(299_000);
    expect(slower).toBeLessThanOrEqual(301_000);
  });

  it("costs two rows for a turn with caller audio: the session row and the audio's one part", async () => {
    const { tenantId, key } = await tenant();
    const callId = await startCall(key);
    const stub = callObject(tenantId, callId);
    const before = await rowsWritten(stub);
    const res = await api(`/api/v1/calls/${callId}/turns?reply=text`, {
      method: "POST",
      key,
      body: dtmfWav,
      headers: { "Content-Type": "audio/wav" },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { transcript: { source: string } }).transcript.source).toBe("dtmf");
    expect((await rowsWritten(stub)) - before).toBe(2);
  });

  it("keeps figures that arrive during a failed sync, and sends the shard only what it has not had", async () => {
    const { tenantId, key } = await tenant();
    const callId = await startCall(key);
    const stub = callObject(tenantId, callId);
    await api(`/api/v1/calls/${callId}/turns?reply=text`, { method: "POST", key, json: { text: "billing" } });
    await setCallBindings(tenantId, callId, { DB: failingDb });
    await syncNow(stub); // the shard update goes out, the D1 batch fails: the job remembers what was sent
    const [job] = await jobsOf(stub);
    expect(job).toMatchObject({ job: "index", lastError: "injected D1 outage" });
    const sent = (job?.state as { sentMetrics: Record<string, number> }).sentMetrics;
    expect(sent['voice_turns_total{outcome="ok",source="text"}']).toBe(1);

    await setCallBindings(tenantId, callId, {});
    await api(`/api/v1/calls/${callId}/turns?reply=text`, { method: "POST", key, json: { text: "billing" } });
    expect((await pending(stub)).metrics['voice_turns_total{outcome="ok",source="text"}']).toBe(2);
    await syncNow(stub);
    expect(await pending(stub)).toEqual({ metrics: {}, uses: [] });
    expect(await auditRows(tenantId, callId)).toBe(1);
    expect(await jobsOf(stub)).toEqual([]);
  });
});
