import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MAX_AUDIO_FRAME_BYTES, MAX_TEXT_MESSAGE_BYTES } from "../../src/stream/protocol";
import { api, expectProblem, startCall, tenant } from "../helpers/api";
import { makeJobsDue, callObject } from "../helpers/objects";
import { connect, open, started, type TestStream } from "./stream-client";

// Everything a client can get wrong on the live stream: refused before the upgrade with a problem
// response (bad credentials, not a WebSocket), or on the socket with an `error` message and, when
// the stream cannot go on, a close code from protocol.ts's CLOSE (no such call, another tenant's
// call, an ended call: a browser sees no status of a refused upgrade). After each, the call's
// object still answers: a new stream on the same call takes a turn.

async function expectFatal(s: TestStream, status: number, code: string, closeCode: number): Promise<void> {
  const error = await s.next("error");
  expect(error).toMatchObject({ type: "error", status, code });
  expect(error.detail.length).toBeGreaterThan(20);
  expect((await s.closed).code).toBe(closeCode);
}

/** The call still works after whatever the last stream did to it. */
async function stillAnswers(callId: string, key: string): Promise<void> {
  const s = await started(callId, key, { reply: "text" });
  s.send({ type: "text", text: "billing" });
  expect((await s.next("intent")).name).toBe("billing");
  s.close();
}

describe("refused on the socket, or before the upgrade", { timeout: 30_000 }, () => {
  it(
    "says call_not_found (4404) for an unknown call and for another " +
      "tenant's call, call_ended (4410) for an ended one",
    async () => {
      const a = await tenant();
      const b = await tenant();
      const callId = await startCall(a.key);
      await expectFatal((await connect("no-such-call", { key: a.key })) as TestStream, 404, "call_not_found", 4404);
      // Another tenant's call id names another (empty) object: not found, never forbidden.
      await expectFatal((await connect(callId, { key: b.key })) as TestStream, 404, "call_not_found", 4404);
      expect((await api(`/api/v1/calls/${callId}/end`, { method: "POST", key: a.key })).status).toBe(200);
      await expectFatal((await connect(callId, { key: a.key })) as TestStream, 409, "call_ended", 4410);
    },
  );

  it("says call_ended (4410) for a call that ended and was archived (its object is empty)", async () => {
    const { tenantId, key } = await tenant();
    const callId = await startCall(key);
    expect((await api(`/api/v1/calls/${callId}/end`, { method: "POST", key })).status).toBe(200);
    const stub = callObject(tenantId, callId);
    for (let i = 0; i < 5 && (await stub.get()) !== null; i++) {
      await makeJobsDue(stub);
      await runDurableObjectAlarm(stub);
    }
    expect(await stub.get()).toBeNull();
    await expectFatal((await connect(callId, { key })) as TestStream, 409, "call_ended", 4410);
  });

  it("answers 426 to a plain GET, and 401 without credentials", async () => {
    const { key } = await tenant();
    const callId = await startCall(key);
    const plain = (await connect(callId, { key }, { upgrade: false })) as Response;
    const refused = await plain.clone().json();
    await expectProblem(plain, 426, "upgrade_required");
    expect(refused).toMatchObject({ title: "Upgrade Required" });
    await expectProblem((await connect(callId, {})) as Response, 401, "unauthorized");
  });
});

describe("refused after the upgrade: error message, then a clean close", { timeout: 30_000 }, () => {
  it("binary audio before start: 1003", async () => {
    const { key } = await tenant();
    const callId = await startCall(key);
    const s = await open(callId, { key });
    s.sendBinary(new Uint8Array(640));
    await expectFatal(s, 400, "start_required", 1003);
    await stillAnswers(callId, key);
  });

  it("a text message before start: 1008", async () => {
    const { key } = await tenant();
    const callId = await startCall(key);
    const s = await open(callId, { key });
    s.send({ type: "text", text: "hello" });
    await expectFatal(s, 400, "start_required", 1008);
  });

  it("malformed JSON: 1007", async () => {
    const { key } = await tenant();
    const callId = await startCall(key);
    const s = await started(callId, key);
    s.send("{not json");
    await expectFatal(s, 400, "invalid_json", 1007);
    await stillAnswers(callId, key);
  });

  it("a start with a wrong format or rate: 1007, naming the field", async () => {
    const { key } = await tenant();
    const callId = await startCall(key);
    const s = await open(callId, { key });
    s.send({ type: "start", format: "opus", sampleRate: 44100 });
    const error = await s.next("error");
    expect(error).toMatchObject({ status: 400, code: "invalid_message" });
    expect(error.detail).toContain('"format"');
    expect(error.detail).toContain('"sampleRate"');
    expect((await s.closed).code).toBe(1007);
  });

  it("a second start: 1008", async () => {
    const { key } = await tenant();
    const callId = await startCall(key);
    const s = await started(callId, key);
    s.send({ type: "start", format: "mulaw", sampleRate: 8000 });
    await expectFatal(s, 409, "already_started", 1008);
  });

  it("a text message over MAX_TEXT_MESSAGE_BYTES: 1009", async () => {
    const { key } = await tenant();
    const callId = await startCall(key);
    const s = await started(callId, key);
    s.send(JSON.stringify({ type: "text", text: "a".repeat(MAX_TEXT_MESSAGE_BYTES) }));
    await expectFatal(s, 413, "payload_too_large", 1009);
    await stillAnswers(callId, key);
  });

  it("an audio frame over MAX_AUDIO_FRAME_BYTES: 1009", async () => {
    const { key } = await tenant();
    const callId = await startCall(key);
    const s = await started(callId, key);
    s.sendBinary(new Uint8Array(MAX_AUDIO_FRAME_BYTES + 2));
    await expectFatal(s, 413, "payload_too_large", 1009);
    await stillAnswers(callId, key);
  });

  it("a pcm16 frame with half a sample: 1007", async () => {
    const { key } = await tenant();
    const callId = await startCall(key);
    const s = await started(callId, key);
    s.sendBinary(new Uint8Array(641));
    await expectFatal(s, 400, "invalid_audio", 1007);
    await stillAnswers(callId, key);
  });
});

describe("refused, and the stream goes on", { timeout: 30_000 }, () => {
  it(
    "an unknown message type, a misspelt field and bad " + "keypad keys are errors; the next good message is answered",
    async () => {
      const { key } = await tenant();
      const callId = await startCall(key);
      const s = await started(callId, key, { reply: "text" });
      s.send({ type: "hangup" });
      expect(await s.next("error")).toMatchObject({ status: 400, code: "unknown_message_type" });
      s.send({ type: "text", txt: "hello" });
      const misspelt = await s.next("error");
      expect(misspelt).toMatchObject({ status: 400, code: "invalid_message" });
      expect(misspelt.detail).toContain('"txt"');
      s.send({ type: "dtmf", digits: "12x" });
      expect(await s.next("error")).toMatchObject({ status: 400, code: "invalid_message" });
      s.send({ type: "text", text: "   " });
      expect(await s.next("error")).toMatchObject({ status: 400, code: "invalid_message" });
      s.send({ type: "text", text: "hello" });
      expect(await s.next("transcript")).toMatchObject({ turnId: "turn-1", text: "hello" });
      expect(s.closeInfo).toBeUndefined();
      expect(s.summary()).toEqual(["ready", "error", "error", "error", "error", "transcript"]);
    },
  );

  it("a second stream on the call replaces the first, which is told why (1008); the call goes on", async () => {
    const { key } = await tenant();
    const callId = await startCall(key);
    const s = await started(callId, key, { reply: "text" });
    s.send({ type: "dtmf", digits: "2" });
    await s.next("metrics");
    const second = await started(callId, key, { reply: "text" });
    const replaced = await s.next("error");
    expect(replaced).toMatchObject({ status: 409, code: "stream_replaced" });
    expect((await s.closed).code).toBe(1008);
    second.send({ type: "text", text: "hello" });
    expect((await second.next("transcript")).turnId).toBe("turn-2");
  });
});
