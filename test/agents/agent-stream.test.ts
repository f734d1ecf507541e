import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { resetHealthForTests } from "../../src/routing/health-registry";
import { api, tenant, uid } from "../helpers/api";
import { FAKE_MODEL_BASE, FAKE_MODEL_SETTINGS, fakeChatModel, type FakeModel } from "../helpers/fake-chat-model";
import { apiWithSettings, setCallBindings } from "../helpers/objects";
import { callView, speechLike, started } from "../stream/stream-client";

afterEach(() => vi.restoreAllMocks());
beforeEach(() => resetHealthForTests());

const FIRST = "Thanks for calling the bank today.";
const SECOND = "How can I help you with your account?";

/** A model that writes its first sentence at once and its second `pauseMs` later. */
function slowModel(pauseMs: number): FakeModel {
  const model = fakeChatModel([
    [{ text: "Thanks for calling" }, { text: " the bank today." }, { pauseMs }, { text: ` ${SECOND}` }],
  ]);
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    if (request.url.startsWith(FAKE_MODEL_BASE)) return model.handle(request);
    return new Response("not here", { status: 599 });
  });
  return model;
}

async function agentCall() {
  const { tenantId, key } = await tenant();
  const agentId = uid("agent");
  const put = await api(`/api/v1/agents/${agentId}`, { method: "PUT", key, json: { instructions: "Be helpful." } });
  expect(put.status).toBe(201);
  const callId = uid("call");
  await setCallBindings(tenantId, callId, FAKE_MODEL_SETTINGS);
  const created = await apiWithSettings(FAKE_MODEL_SETTINGS)("/api/v1/calls?reply=text", {
    method: "POST",
    key,
    json: { callId, agent: agentId },
  });
  expect(created.status, await created.clone().text()).toBe(201);
  return { tenantId, key, callId };
}

describe("an agent's reply, streamed into speech", { timeout: 30_000 }, () => {
  it("on the WebSocket: the first sentence is heard before the model has written the second", async () => {
    const model = slowModel(2500);
    const { key, callId } = await agentCall();
    const s = await started(callId, key);
    s.send({ type: "text", text: "hello" });
    expect(await s.next("transcript")).toMatchObject({ turnId: "turn-1", text: "hello", final: true });
    expect(await s.next("reply_delta")).toEqual({ type: "reply_delta", turnId: "turn-1", text: FIRST });
    await s.next("audio");
    expect(model.finished[0]).toBe(false);
    expect(await s.next("reply_delta", 10_000)).toMatchObject({ text: SECOND });
    expect(await s.next("reply")).toMatchObject({ turnId: "turn-1", text: `${FIRST} ${SECOND}` });
    await s.next("reply_done");
    expect(model.finished[0]).toBe(true);
  });

  it("over HTTP as Server-Sent Events: audio per sentence, the first before the model finished", async () => {
    const model = slowModel(2000);
    const { key, callId } = await agentCall();
    const res = await api(`/api/v1/calls/${callId}/turns`, {
      method: "POST",
      key,
      json: { text: "hello" },
      headers: { Accept: "text/event-stream" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/event-stream/);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    const events: { event: string; data: Record<string, unknown>; modelDone: boolean }[] = [];
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      for (let cut = buffer.indexOf("\n\n"); cut >= 0; cut = buffer.indexOf("\n\n")) {
        const frame = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const event = /^event: (.+)$/m.exec(frame)?.[1] ?? "";
        const data = JSON.parse(/^data: (.+)$/m.exec(frame)?.[1] ?? "{}") as Record<string, unknown>;
        events.push({ event, data, modelDone: model.finished[0] === true });
      }
    }
    expect(events.map((e) => e.event)).toEqual(["transcript", "reply_delta", "audio", "reply_delta", "audio", "done"]);
    const firstAudio = events[2]!;
    expect(firstAudio.modelDone).toBe(false);
    expect(firstAudio.data).toMatchObject({ format: "wav", sampleRate: 16000 });
    const wav = Uint8Array.from(atob(firstAudio.data.base64 as string), (c) => c.charCodeAt(0));
    expect(new TextDecoder().decode(wav.subarray(0, 4))).toBe("RIFF");
    const done = events.at(-1)!.data as { reply: { text: string; audio?: { base64?: string } } };
    expect(done.reply.text).toBe(`${FIRST} ${SECOND}`);
    expect(done.reply.audio?.base64).toBeUndefined();
  });

  it("barge-in while the model is still writing cancels its stream; the history keeps what was played", async () => {
    const model = slowModel(8000);
    const { tenantId, key, callId } = await agentCall();
    const s = await started(callId, key);
    s.send({ type: "text", text: "hello" });
    await s.next("audio");
    s.sendAudio(speechLike(16000, 1200), "pcm16", 16000);
    await s.next("speech_started");
    expect(await s.next("interrupted")).toMatchObject({ turnId: "turn-1" });
    const deadline = Date.now() + 3000;
    while (!model.cancelled[0] && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(model.cancelled[0]).toBe(true);
    expect(model.finished[0]).toBe(false);
    const view = await callView(tenantId, callId);
    const reply = view!.history.find((h) => h.turnId === "turn-1" && h.role === "assistant");
    expect(reply?.text).not.toContain(SECOND);
  });
});
