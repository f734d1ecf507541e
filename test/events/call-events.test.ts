import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { EVENT_TYPES, type WebhookEvent } from "../../src/call/events";
import type { CallSession } from "../../src/durable/call-session";
import type { CallStore } from "../../src/storage/call-store";
import balanceWav from "../fixtures/audio/balance-16k.wav";
import { api, tenant, uid } from "../helpers/api";
import { recordingQueue, subscribe, until } from "../helpers/events";
import { callObject, setCallBindings } from "../helpers/objects";

// The producer side of events (src/pipeline/events.ts): the call's object records each event in
// the write that records what it tells, and sends it to the EVENTS queue after that write. The
// queue here is a stand-in that records what it was given (and can refuse), put in the object's env.

const CARD = "4111 1111 1111 1111";

function pendingEvents(tenantId: string, callId: string): Promise<string[]> {
  return runInDurableObject(callObject(tenantId, callId), (instance: CallSession) =>
    (instance as unknown as { store: CallStore }).store.pendingEvents().map((e) => e.id),
  );
}

async function startCall(key: string, callId: string, query = "?reply=text"): Promise<void> {
  const res = await api(`/api/v1/calls${query}`, {
    method: "POST",
    key,
    json: { callId, metadata: { note: `card ${CARD}` } },
  });
  expect(res.status, await res.clone().text()).toBe(201);
}

async function turn(key: string, callId: string, text: string): Promise<void> {
  const res = await api(`/api/v1/calls/${callId}/turns?reply=text`, { method: "POST", key, json: { text } });
  expect(res.status, await res.clone().text()).toBe(200);
}

describe("events a call records for the tenant's endpoints", () => {
  it("sends call.started, turn.completed and call.ended in sequence, redacted, one id each", async () => {
    const { tenantId, key } = await tenant();
    await subscribe(tenantId, EVENT_TYPES);
    const callId = uid("call");
    const q = recordingQueue();
    await setCallBindings(tenantId, callId, { EVENTS: q.queue });
    await startCall(key, callId);
    await turn(key, callId, `my card is ${CARD}`);
    await turn(key, callId, "check my balance");
    expect((await api(`/api/v1/calls/${callId}/end`, { method: "POST", key })).status).toBe(200);
    await until(() => (q.sent.some((e) => e.type === "call.ended") ? true : undefined), "call.ended");

    expect(q.sent.map((e) => e.type)).toEqual(["call.started", "turn.completed", "turn.completed", "call.ended"]);
    expect(q.sent.map((e) => e.sequence)).toEqual([1, 2, 3, 4]);
    expect(new Set(q.sent.map((e) => e.id)).size).toBe(4);
    for (const e of q.sent) {
      expect(e).toMatchObject({ tenantId, callId });
      expect(e.id).toMatch(/^evt_/);
      expect(Number.isNaN(Date.parse(e.createdAt))).toBe(false);
    }
    const [started, first, second, ended] = q.sent as [WebhookEvent, WebhookEvent, WebhookEvent, WebhookEvent];
    expect(started.data).toMatchObject({ language: "en-US", flow: "contact-center", residency: null });
    expect(first.data).toMatchObject({ turnId: "turn-1", source: "text" });
    expect(String(first.data.text)).toContain("my card is");
    expect(second.data).toMatchObject({ turnId: "turn-2", intent: { name: expect.any(String) } });
    expect(second.data.latencyMs).toMatchObject({ stt: expect.any(Number), nlp: expect.any(Number) });
    expect(ended.data).toMatchObject({ reason: "client", turnCount: 2 });
    expect((ended.data.transcript as unknown[]).length).toBe(5); // the greeting and two turns
    // Redaction holds in every event: the card never leaves, neither from a turn nor from metadata.
    const all = JSON.stringify(q.sent);
    expect(all).not.toContain("4111");
    expect(all).toContain("1111"); // the masked card keeps its last four digits
  });

  it("records only the types the tenant's endpoints ask for, and nothing without endpoints", async () => {
    const some = await tenant();
    await subscribe(some.tenantId, ["call.ended"]);
    const none = await tenant();
    const runs: ReturnType<typeof recordingQueue>[] = [];
    for (const t of [some, none]) {
      const callId = uid("call");
      const q = recordingQueue();
      await setCallBindings(t.tenantId, callId, { EVENTS: q.queue });
      await startCall(t.key, callId);
      await turn(t.key, callId, "hello");
      await api(`/api/v1/calls/${callId}/end`, { method: "POST", key: t.key });
      runs.push(q);
    }
    await until(() => (runs[0]!.sent.length ? true : undefined), "call.ended");
    expect(runs[0]!.sent.map((e) => [e.type, e.sequence])).toEqual([["call.ended", 1]]);
    expect(runs[1]!.sent).toEqual([]);
    expect(runs[1]!.state.batches).toBe(0);
  });

  it("sends recording.ready after call.ended when the call holds audio, with the recording's path only", async () => {
    const { tenantId, key } = await tenant();
    await subscribe(tenantId, ["call.ended", "recording.ready"]);
    const callId = uid("call");
    const q = recordingQueue();
    await setCallBindings(tenantId, callId, { EVENTS: q.queue });
    await startCall(key, callId, "");
    const res = await api(`/api/v1/calls/${callId}/turns`, {
      method: "POST",
      key,
      body: balanceWav,
      headers: { "Content-Type": "audio/wav" },
    });
    expect([200, 503]).toContain(res.status); // no STT provider in tests: the audio is stored all the same
    await api(`/api/v1/calls/${callId}/end`, { method: "POST", key });
    await until(() => (q.sent.length >= 2 ? true : undefined), "two events");
    expect(q.sent.map((e) => e.type)).toEqual(["call.ended", "recording.ready"]);
    expect(q.sent[1]!.data).toEqual({ path: `/api/v1/calls/${callId}/recording` });
  });
});

describe("no event is lost when the queue is down or the object restarts", () => {
  it("keeps events the queue refused, and sends them, same ids, after a restart", async () => {
    const { tenantId, key } = await tenant();
    await subscribe(tenantId, EVENT_TYPES);
    const callId = uid("call");
    const q = recordingQueue();
    q.state.refusing = true;
    await setCallBindings(tenantId, callId, { EVENTS: q.queue });
    await startCall(key, callId);
    await turn(key, callId, "hello");
    const held = await pendingEvents(tenantId, callId);
    expect(held).toHaveLength(2); // call.started and turn.completed, written with what they tell

    // The object restarts (evicted, say, mid-send): what it recorded is still there.
    await evictDurableObject(callObject(tenantId, callId));
    const after = recordingQueue();
    await setCallBindings(tenantId, callId, { EVENTS: after.queue });
    expect(await pendingEvents(tenantId, callId)).toEqual(held);
    // The outbox's alarm sends them (the retry the failed send queued, or the idle alarm).
    await runDurableObjectAlarm(callObject(tenantId, callId));
    expect(after.sent.map((e) => e.id)).toEqual(held);
    expect(await pendingEvents(tenantId, callId)).toEqual([]);
  });

  it("does not empty an ended call's object while its events are unsent", async () => {
    const { tenantId, key } = await tenant();
    await subscribe(tenantId, ["call.ended"]);
    const callId = uid("call");
    const q = recordingQueue();
    q.state.refusing = true;
    await setCallBindings(tenantId, callId, { EVENTS: q.queue });
    await startCall(key, callId);
    const end = await api(`/api/v1/calls/${callId}/end`, { method: "POST", key });
    expect(end.status).toBe(200);
    // Archived to D1 and R2, but the object keeps the call.ended it could not send.
    expect(await pendingEvents(tenantId, callId)).toHaveLength(1);
    q.state.refusing = false;
    await runDurableObjectAlarm(callObject(tenantId, callId));
    expect(q.sent.map((e) => e.type)).toEqual(["call.ended"]);
    // Sent: now the object empties, as any archived call's does.
    expect(await callObject(tenantId, callId).get()).toBeNull();
  });
});
