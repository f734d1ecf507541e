import { afterEach, describe, expect, it, vi } from "vitest";
import { TenantShard } from "../../src/durable/tenant-shard";
import type { CallView } from "../../src/call/records";
import { api, expectProblem, startCall, tenant } from "../helpers/api";
import { advanceLimitsClock, apiWithSettings, callObject, setCallBindings } from "../helpers/objects";
import { POOL_TTL_MS } from "../../src/security/admission";
import { silenceSamples, speechLike, started, type TestStream } from "./stream-client";

afterEach(() => vi.restoreAllMocks());

// Streamed turns count against the tenant's request rate (the same bucket as its HTTP requests),
// and a stream has its own limit on control messages (src/pipeline/live/stream-limits.ts). Over
// either: an `error` with `rate_limited` and a retry hint, the socket left open.

type ErrorMessage = { type: "error"; code: string; status: number; retryAfterMs?: number };

/** Sends a text turn and waits for its end: its metrics, or an error. */
async function textTurn(s: TestStream, text: string): Promise<"answered" | ErrorMessage> {
  s.send({ type: "text", text });
  const m = await s.until((x) => x.type === "metrics" || x.type === "error", `the answer to "${text}"`);
  return m.type === "metrics" ? "answered" : (m as ErrorMessage);
}

async function hot(tenantId: string, callId: string): Promise<CallView | null> {
  return callObject(tenantId, callId).get();
}

async function userTurns(tenantId: string, callId: string): Promise<number> {
  const view = await hot(tenantId, callId);
  return view?.history.filter((h) => h.role === "user").length ?? -1;
}

describe("streamed turns and the tenant's request rate", { timeout: 30_000 }, () => {
  it("takes a token per streamed turn; over the rate, rate_limited with a retry hint and the socket open", async () => {
    const { tenantId, key } = await tenant();
    const callId = await startCall(key);
    // 3 a minute: a token every 20 s, so none comes back while the test runs.
    await setCallBindings(tenantId, callId, { TENANT_REQUESTS_PER_MINUTE: "3" });
    const s = await started(callId, key, { reply: "text" });
    // The call's object leases its own tokens (in tests it shares this isolate with the Worker,
    // and the tenant's shard with its requests, which leased under the default rate): start it
    // with none, by letting every pool's tokens lapse.
    await advanceLimitsClock(tenantId, POOL_TTL_MS);

    expect(await textTurn(s, "hello one")).toBe("answered");
    expect(await textTurn(s, "hello two")).toBe("answered");
    expect(await textTurn(s, "hello three")).toBe("answered");
    const refused = await textTurn(s, "hello four");
    expect(refused).toMatchObject({ type: "error", status: 429, code: "rate_limited" });
    expect((refused as ErrorMessage).retryAfterMs).toBeGreaterThanOrEqual(1000);
    expect((refused as ErrorMessage).retryAfterMs).toBeLessThanOrEqual(20_000);
    expect(s.closeInfo).toBeUndefined();
    expect(await userTurns(tenantId, callId)).toBe(3); // the refused turn stored nothing

    // The same bucket as the tenant's HTTP requests: an HTTP turn at the same rate is refused too.
    const http = apiWithSettings({ TENANT_REQUESTS_PER_MINUTE: "3" });
    await expectProblem(
      await http(`/api/v1/calls/${callId}/turns?reply=text`, { method: "POST", key, json: { text: "over http" } }),
      429,
      "rate_limited",
    );

    // Once the bucket refills, the same socket goes on.
    await advanceLimitsClock(tenantId, 60_000);
    expect(await textTurn(s, "hello again")).toBe("answered");
    expect(await userTurns(tenantId, callId)).toBe(4);
    s.send({ type: "stop" });
    await s.next("ended");
  });
});

describe("a stream's own limit on control messages", { timeout: 30_000 }, () => {
  it("answers a flood with one rate_limited error a second, drops the rest, and still takes stop", async () => {
    const { key } = await tenant();
    const callId = await startCall(key);
    const s = await started(callId, key, { reply: "text" });
    // A message type this server does not know is answered (400) and the stream goes on: 40 at once.
    for (let i = 0; i < 40; i++) s.send({ type: "no_such_message", i });
    s.send({ type: "stop" });
    await s.next("ended");

    const errors = s.log.filter((m) => m.type === "error") as unknown as ErrorMessage[];
    const limited = errors.filter((e) => e.code === "rate_limited");
    // `start` took one of the 20 at once; the flood got the rest (and whatever refilled meanwhile).
    const answered = errors.length - limited.length;
    expect(answered).toBeGreaterThanOrEqual(19);
    expect(answered).toBeLessThan(30);
    expect(limited.length).toBe(1);
    expect(limited[0]).toMatchObject({ status: 429, retryAfterMs: 1000 });
    expect((await s.closed).code).toBe(1000);
  });

  it("does not count caller audio or stop, nor limit typed turns sent at a person's pace", async () => {
    const { key } = await tenant();
    const callId = await startCall(key);
    const s = await started(callId, key, { reply: "text" });
    for (let i = 0; i < 5; i++) expect(await textTurn(s, `turn ${i}`)).toBe("answered");
    expect(s.log.some((m) => m.type === "error")).toBe(false);
    const res = await api(`/api/v1/calls/${callId}`, { key });
    expect(res.status).toBe(200);
  });
});

describe("a spoken turn's token", { timeout: 30_000 }, () => {
  it("is leased while the caller speaks, so the turn ending takes it without a round trip", async () => {
    const { tenantId, key } = await tenant();
    const callId = await startCall(key);
    const s = await started(callId, key, { reply: "text" });
    await advanceLimitsClock(tenantId, POOL_TTL_MS); // no token pooled anywhere
    const asked = vi.spyOn(TenantShard.prototype, "admitTurn");
    s.sendAudio(speechLike(16000, 400), "pcm16", 16000);
    await s.next("speech_started");
    // Asked for while the caller is still speaking: no turn has ended yet.
    await vi.waitFor(() => expect(asked).toHaveBeenCalledTimes(1));
    expect(asked.mock.calls[0]![3]).toBe(1);
    s.sendAudio(silenceSamples(16000, 800), "pcm16", 16000);
    // The turn (no STT provider here: it fails after its admission) took the pooled token.
    expect(await s.next("error")).toMatchObject({ code: "provider_unavailable" });
    expect(asked).toHaveBeenCalledTimes(1);
  });
});
