import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import type { CallSession } from "../../src/durable/call-session";
import { api, startCall, tenant } from "../helpers/api";
import { callObject, jobsOf, makeJobsDue, setCallBindings } from "../helpers/objects";

type Stub = DurableObjectStub<CallSession>;

const failingBucket = new Proxy(env.ARCHIVE, {
  get(target, prop) {
    if (prop === "put") return () => Promise.reject(new Error("injected R2 outage"));
    const value = Reflect.get(target, prop) as unknown;
    return typeof value === "function" ? value.bind(target) : value;
  },
});
const failingDb = new Proxy(env.DB, {
  get(target, prop) {
    if (prop === "batch") return () => Promise.reject(new Error("injected D1 outage"));
    const value = Reflect.get(target, prop) as unknown;
    return typeof value === "function" ? value.bind(target) : value;
  },
});

/** Makes every queued outbox job due now (time travel past its backoff) and runs the alarm. */
async function retryNow(stub: Stub) {
  await makeJobsDue(stub);
  return runDurableObjectAlarm(stub);
}

/** The call's outbox (jobs live in its session row), in the old table's column names. */
async function outbox(stub: Stub) {
  return (await jobsOf(stub)).map((j) => ({
    job: j.job,
    attempts: j.attempts,
    state: JSON.stringify(j.state),
    last_error: j.lastError,
  }));
}

describe("archive outbox", () => {
  it("keeps retrying an archive through an R2 outage and completes it afterwards", async () => {
    const { tenantId, key } = await tenant();
    const callId = await startCall(key);
    await api(`/api/v1/calls/${callId}/turns?reply=text`, { method: "POST", key, json: { text: "billing" } });
    const stub = callObject(tenantId, callId);
    await setCallBindings(tenantId, callId, { ARCHIVE: failingBucket });

    const ended = (await (await api(`/api/v1/calls/${callId}/end`, { method: "POST", key })).json()) as {
      archive: string;
    };
    expect(ended.archive).toBe("pending");
    const pendingView = (await (await api(`/api/v1/calls/${callId}`, { key })).json()) as {
      tier: string;
      status: string;
    };
    expect(pendingView).toMatchObject({ tier: "hot", status: "ended" });

    await retryNow(stub); // still down: retried, kept, attempts counted
    const jobs = await outbox(stub);
    expect(jobs).toEqual([expect.objectContaining({ job: "archive", attempts: 2, last_error: "injected R2 outage" })]);
    const alarm = await runInDurableObject(stub, (_i, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();

    await setCallBindings(tenantId, callId, {});
    await retryNow(stub);
    const view = (await (await api(`/api/v1/calls/${callId}`, { key })).json()) as { tier: string; history: unknown[] };
    expect(view.tier).toBe("warm");
    expect(view.history).toHaveLength(3);
    expect(await env.ARCHIVE.head(`tenants/${tenantId}/calls/${callId}/transcript.json`)).not.toBeNull();
  });

  it("resumes after a D1 outage without redoing the R2 step", async () => {
    const { tenantId, key } = await tenant();
    const callId = await startCall(key);
    await api(`/api/v1/calls/${callId}/turns?reply=text`, { method: "POST", key, json: { text: "billing" } });
    const stub = callObject(tenantId, callId);
    await setCallBindings(tenantId, callId, { DB: failingDb });
    const ended = (await (await api(`/api/v1/calls/${callId}/end`, { method: "POST", key })).json()) as {
      archive: string;
    };
    expect(ended.archive).toBe("pending");
    // Only the archive is left: it replaces the turn's queued sync, which would send the shard again
    // what the archive's attempt already gave it.
    expect((await outbox(stub)).map((j) => j.job)).toEqual(["archive"]);
    const [job] = await outbox(stub);
    // The R2 step is done (and so is the shard update: sentMetrics says what the shard already has).
    expect(JSON.parse(job?.state ?? "{}")).toMatchObject({ r2: true });
    const firstUpload = (await env.ARCHIVE.head(`tenants/${tenantId}/calls/${callId}/transcript.json`))?.uploaded;
    expect(firstUpload).toBeDefined();

    await setCallBindings(tenantId, callId, {});
    await retryNow(stub);
    expect(await outbox(stub)).toEqual([]);
    const view = (await (await api(`/api/v1/calls/${callId}`, { key })).json()) as { tier: string; status: string };
    expect(view).toMatchObject({ tier: "warm", status: "ended" });
    expect((await env.ARCHIVE.head(`tenants/${tenantId}/calls/${callId}/transcript.json`))?.uploaded).toEqual(
      firstUpload,
    );
  });

  it("archives an ended call before writing anything to its object: the end costs the object no row", async () => {
    const { tenantId, key } = await tenant();
    const callId = await startCall(key);
    await api(`/api/v1/calls/${callId}/turns?reply=text`, { method: "POST", key, json: { text: "billing" } });
    const stub = callObject(tenantId, callId);
    const before = await runInDurableObject(
      stub,
      (instance: CallSession) => (instance as unknown as { store: { rowsWritten: number } }).store.rowsWritten,
    );
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: unknown) => void lines.push(String(line)));
    const ended = (await (await api(`/api/v1/calls/${callId}/end`, { method: "POST", key })).json()) as {
      archive: string;
      endReason: string;
    };
    vi.restoreAllMocks();
    expect(ended).toMatchObject({ archive: "done", endReason: "client" });
    const written = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.event === "archive_written");
    expect(written).toMatchObject({ callId, objectRowsWritten: before });
    // Empty, and the warm tier has the ended call with every use, the end's included.
    expect(await jobsOf(stub)).toEqual([]);
    const view = (await (await api(`/api/v1/calls/${callId}`, { key })).json()) as {
      tier: string;
      status: string;
      endReason: string;
    };
    expect(view).toMatchObject({ tier: "warm", status: "ended", endReason: "client" });
    const uses = await env.DB.prepare(
      "SELECT uses_json FROM audit_log WHERE tenant_id = ? AND target = ? AND uses_json IS NOT NULL",
    )
      .bind(tenantId, callId)
      .all<{ uses_json: string }>();
    expect(uses.results.flatMap((r) => JSON.parse(r.uses_json) as [string, string, string][]).map((u) => u[2])).toEqual(
      ["call.create", "call.turn", "call.end"],
    );
  });

  it("keeps only the slot's release when the archive went through and the release did not", async () => {
    const { tenantId, key } = await tenant();
    const callId = await startCall(key);
    await api(`/api/v1/calls/${callId}/turns?reply=text`, { method: "POST", key, json: { text: "billing" } });
    const stub = callObject(tenantId, callId);
    const refusingShards = new Proxy(env.TENANT_SHARD, {
      get(target, prop) {
        if (prop === "get") return () => ({ releaseCall: () => Promise.reject(new Error("injected limits outage")) });
        const value = Reflect.get(target, prop) as unknown;
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    await setCallBindings(tenantId, callId, { TENANT_SHARD: refusingShards });
    const ended = (await (await api(`/api/v1/calls/${callId}/end`, { method: "POST", key })).json()) as {
      archive: string;
    };
    expect(ended.archive).toBe("done");
    // One job left, the release, with its failure; what was pending went with the archive.
    expect(await outbox(stub)).toEqual([
      expect.objectContaining({ job: "release", attempts: 1, last_error: "injected limits outage" }),
    ]);
    const held = await runInDurableObject(
      stub,
      (instance: CallSession) =>
        (instance as unknown as { store: { pending(): unknown; getSession(): { archivedAt: string | null } } }).store,
    );
    expect(held.pending()).toEqual({ metrics: {}, uses: [] });
    expect(held.getSession().archivedAt).toEqual(expect.any(String));

    await setCallBindings(tenantId, callId, {});
    await retryNow(stub);
    expect(
      await runInDurableObject(stub, (instance: CallSession) =>
        (instance as unknown as { store: { getSession(): unknown } }).store.getSession(),
      ),
    ).toBeNull();
    const audit = await env.DB.prepare("SELECT COUNT(*) AS n FROM audit_log WHERE tenant_id = ? AND target = ?")
      .bind(tenantId, callId)
      .first<{ n: number }>();
    expect(audit?.n).toBe(1); // the uses were written once, by the archive
  });

  it("falls through to the cold tier once D1 no longer holds the call", async () => {
    const { tenantId, key } = await tenant();
    const callId = await startCall(key);
    await api(`/api/v1/calls/${callId}/turns?reply=text`, { method: "POST", key, json: { text: "technical support" } });
    await api(`/api/v1/calls/${callId}/end`, { method: "POST", key });
    await env.DB.batch([
      env.DB.prepare("DELETE FROM turns WHERE tenant_id = ? AND call_id = ?").bind(tenantId, callId),
      env.DB.prepare("DELETE FROM calls WHERE tenant_id = ? AND call_id = ?").bind(tenantId, callId),
    ]);
    const view = (await (await api(`/api/v1/calls/${callId}`, { key })).json()) as {
      tier: string;
      status: string;
      history: { text: string }[];
    };
    expect(view).toMatchObject({ tier: "cold", status: "ended" });
    expect(view.history.map((h) => h.text)).toContain("technical support");
  });
});
