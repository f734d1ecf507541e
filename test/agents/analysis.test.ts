import { runDurableObjectAlarm } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { resetHealthForTests } from "../../src/routing/health-registry";
import { api, tenant, uid } from "../helpers/api";
import { recordingQueue, subscribe, until } from "../helpers/events";
import { FAKE_MODEL_BASE, FAKE_MODEL_SETTINGS, fakeChatModel, type ModelStep } from "../helpers/fake-chat-model";
import { apiWithSettings, callObject, makeJobsDue, setCallBindings } from "../helpers/objects";

// Post-call analysis (src/pipeline/lifecycle/analysis-job.ts): after an agent's call ends, a model
// reads the redacted transcript; the result is stored with the call (GET /calls/{id}) and sent as
// call.analyzed after call.ended.

afterEach(() => vi.restoreAllMocks());
beforeEach(() => resetHealthForTests());

const CARD = "4111 1111 1111 1111";
const ANALYSIS = {
  summary: true,
  schema: {
    type: "object",
    properties: { reason: { type: "string", enum: ["balance", "card", "other"] } },
    required: ["reason"],
  },
  successCriteria: "The caller learned their balance.",
};

async function analysedCall(modelAnswers: ModelStep[][], analysis: object = ANALYSIS) {
  const model = fakeChatModel(modelAnswers);
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    if (request.url.startsWith(FAKE_MODEL_BASE)) return model.handle(request);
    return new Response("not here", { status: 599 });
  });
  const { tenantId, key } = await tenant();
  await subscribe(tenantId, ["call.ended", "call.analyzed"]);
  const agentId = uid("agent");
  const put = await api(`/api/v1/agents/${agentId}`, {
    method: "PUT",
    key,
    json: { instructions: "You are a bank's phone agent.", analysis },
  });
  expect(put.status, await put.clone().text()).toBe(201);
  const callId = uid("call");
  const queue = recordingQueue();
  await setCallBindings(tenantId, callId, { ...FAKE_MODEL_SETTINGS, EVENTS: queue.queue });
  const created = await apiWithSettings(FAKE_MODEL_SETTINGS)("/api/v1/calls?reply=text", {
    method: "POST",
    key,
    json: { callId, agent: agentId },
  });
  expect(created.status, await created.clone().text()).toBe(201);
  const turn = await api(`/api/v1/calls/${callId}/turns?reply=text`, {
    method: "POST",
    key,
    json: { text: `my card is ${CARD}, what is my balance?` },
  });
  expect(turn.status, await turn.clone().text()).toBe(200);
  const end = await api(`/api/v1/calls/${callId}/end`, { method: "POST", key });
  expect(end.status).toBe(200);
  // The end answers at once; the analysis runs from the alarm (here made due and run).
  expect(await end.json()).toMatchObject({ status: "ended", archive: "pending" });
  const stub = callObject(tenantId, callId);
  await makeJobsDue(stub);
  await runDurableObjectAlarm(stub);
  return { tenantId, key, callId, model, queue };
}

describe("post-call analysis of an agent's call", () => {
  it("retries a schema-breaking answer once, stores the result with the call, sends call.analyzed", async () => {
    const { key, callId, model, queue } = await analysedCall([
      [{ text: "Your balance is 42 dollars." }],
      [{ text: '{"summary":"The caller asked for the balance.","data":{"reason":"weather"},"success":true}' }],
      [{ text: '{"summary":"The caller asked for the balance.","data":{"reason":"balance"},"success":true}' }],
    ]);
    expect(model.requests).toHaveLength(3);
    // The model read the redacted transcript: no card number reached it.
    const asked = JSON.stringify(model.requests[1]);
    expect(asked).toContain("what is my balance");
    expect(asked).not.toContain("4111");
    expect(JSON.stringify(model.requests[2]?.messages.at(-1))).toContain('\\"data\\" is invalid');

    const view = (await (await api(`/api/v1/calls/${callId}`, { key })).json()) as Record<string, unknown>;
    expect(view.analysis).toEqual({
      summary: "The caller asked for the balance.",
      data: { reason: "balance" },
      success: true,
      analyzedAt: expect.any(String),
    });
    // Archived with it: the object emptied and the call is read from D1.
    expect(view.tier).toBe("warm");

    await until(() => (queue.sent.length >= 2 ? true : undefined), "call.analyzed");
    expect(queue.sent.map((e) => [e.type, e.sequence])).toEqual([
      ["call.ended", 1],
      ["call.analyzed", 2],
    ]);
    expect(queue.sent[1]!.data).toEqual({
      summary: "The caller asked for the balance.",
      data: { reason: "balance" },
      success: true,
    });
  });

  it("keeps what was valid and records the error when the second answer breaks the schema too", async () => {
    const { key, callId, queue } = await analysedCall([
      [{ text: "Your balance is 42 dollars." }],
      [{ text: "not json" }],
      [{ text: '{"summary":"Asked.","data":{},"success":true}' }],
    ]);
    const view = (await (await api(`/api/v1/calls/${callId}`, { key })).json()) as {
      analysis?: Record<string, unknown>;
    };
    expect(view.analysis).toMatchObject({ summary: "Asked.", success: true, error: expect.stringMatching(/"data"/) });
    expect(view.analysis?.data).toBeUndefined();
    await until(() => (queue.sent.length >= 2 ? true : undefined), "call.analyzed");
    expect(queue.sent[1]!.data).toEqual({ summary: "Asked.", success: true });
  });
});
