import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { resetHealthForTests } from "../../src/routing/health-registry";
import { api, tenant, uid } from "../helpers/api";
import { FAKE_MODEL_BASE, FAKE_MODEL_SETTINGS, fakeChatModel, type FakeModel } from "../helpers/fake-chat-model";
import { apiWithSettings, setCallBindings } from "../helpers/objects";
import { waitFor } from "../helpers/wait";
import { DEEPGRAM_FLUX, fakeDeepgram } from "../stream/fake-stt-stream";
import { callView, silenceSamples, speechLike, started } from "../stream/stream-client";

// An agent's turn started on Flux's EagerEndOfTurn: the model writes at once, but its tools wait
// for EndOfTurn to confirm the caller is done, and nothing of a dropped turn reaches a tool.

afterEach(() => vi.restoreAllMocks());
beforeEach(() => resetHealthForTests());

const RATE = 16000;
const TOOL_URL = "https://tools.example.com/balance";
const BALANCE = ["check", "my", "balance"];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A model that asks for the balance tool, then answers with its result. */
function balanceModel(): FakeModel {
  const model = fakeChatModel((index) => {
    const messages = model.requests[index]!.messages;
    return messages.at(-1)?.role === "tool"
      ? [{ text: "Your balance is 42 dollars." }]
      : [{ tool: "get_balance", arguments: { account: "primary" } }];
  });
  return model;
}

async function eagerAgentCall() {
  const { tenantId, key } = await tenant();
  const agentId = uid("agent");
  const tool = {
    type: "webhook",
    name: "get_balance",
    description: "The caller's account balance",
    parameters: { type: "object", properties: { account: { type: "string" } }, required: ["account"] },
    url: TOOL_URL,
  };
  const put = await api(`/api/v1/agents/${agentId}`, {
    method: "PUT",
    key,
    json: { instructions: "Bank.", tools: [tool] },
  });
  expect(put.status, await put.clone().text()).toBe(201);
  const callId = uid("call");
  const settings = { ...FAKE_MODEL_SETTINGS, ...DEEPGRAM_FLUX };
  await setCallBindings(tenantId, callId, settings);
  const created = await apiWithSettings(settings)("/api/v1/calls?reply=text", {
    method: "POST",
    key,
    json: { callId, agent: agentId },
  });
  expect(created.status, await created.clone().text()).toBe(201);
  return { tenantId, key, callId };
}

/** Flux on the recogniser's sockets, the model, and the tool server (which counts its calls). */
function outbound(model: FakeModel, eager: { eagerSilenceMs: number; endSilenceMs: number }) {
  const tool: { at: number }[] = [];
  const fake = fakeDeepgram([{ words: BALANCE, ...eager }], (req) => {
    if (req.url.startsWith(FAKE_MODEL_BASE)) return model.handle(req);
    if (req.url === TOOL_URL) {
      tool.push({ at: performance.now() });
      return Promise.resolve(Response.json({ balance: "42.00" }));
    }
    return undefined;
  });
  return { fake, tool };
}

describe("an agent's eager turn (Flux EagerEndOfTurn)", { timeout: 30_000 }, () => {
  it("the model starts at once; its tool waits for EndOfTurn, then the reply goes out", async () => {
    const model = balanceModel();
    const { fake, tool } = outbound(model, { eagerSilenceMs: 150, endSilenceMs: 600 });
    const { tenantId, key, callId } = await eagerAgentCall();
    const s = await started(callId, key, { reply: "text" });
    s.sendAudio(speechLike(RATE, 500), "pcm16", RATE);
    s.sendAudio(silenceSamples(RATE, 200), "pcm16", RATE);
    // The eager turn asked the model, which asked for the tool...
    await waitFor(() => model.finished[0], "the eager turn's model answer");
    await sleep(200);
    expect(fake.sockets[0]!.sent).toContain("EagerEndOfTurn");
    expect(fake.sockets[0]!.sent).not.toContain("EndOfTurn");
    // ...but the tool has not run and the caller has seen nothing of the turn.
    expect(tool).toEqual([]);
    expect(s.log.filter((m) => m.type !== "transcript" || m.final).map((m) => m.type)).toEqual([
      "ready",
      "speech_started",
    ]);
    const confirmedAt = performance.now();
    s.sendAudio(silenceSamples(RATE, 500), "pcm16", RATE);
    expect(await s.next("reply", 10_000)).toMatchObject({ turnId: "turn-1", text: "Your balance is 42 dollars." });
    expect(fake.sockets[0]!.sent).toContain("EndOfTurn");
    expect(tool).toHaveLength(1);
    expect(tool[0]!.at).toBeGreaterThan(confirmedAt);
    expect(model.requests).toHaveLength(2); // the eager round was kept, not asked again
    const view = await callView(tenantId, callId);
    expect(view?.history.filter((h) => h.role === "user").map((h) => h.text)).toEqual(["check my balance"]);
  });

  it("a dropped eager turn (TurnResumed) never reaches the tool; the whole utterance's turn does, once", async () => {
    const model = balanceModel();
    const { fake, tool } = outbound(model, { eagerSilenceMs: 150, endSilenceMs: 300 });
    const { tenantId, key, callId } = await eagerAgentCall();
    const s = await started(callId, key, { reply: "text" });
    // "check my" ... a pause long enough for an eager end of turn ... "balance".
    s.sendAudio(speechLike(RATE, 320), "pcm16", RATE);
    s.sendAudio(silenceSamples(RATE, 200), "pcm16", RATE);
    // The eager turn's model asked for the tool.
    await waitFor(() => model.finished[0], "the eager turn's model answer");
    s.sendAudio(speechLike(RATE, 300, 3), "pcm16", RATE);
    s.sendAudio(silenceSamples(RATE, 400), "pcm16", RATE);
    await s.next("metrics", 10_000);
    expect(fake.sockets[0]!.sent).toEqual(expect.arrayContaining(["EagerEndOfTurn", "TurnResumed", "EndOfTurn"]));
    expect(tool).toHaveLength(1);
    expect(s.messages("reply")).toHaveLength(1);
    // The dropped turn's model request, then the kept turn's two (the tool call and the answer).
    expect(model.requests).toHaveLength(3);
    const lastUser = (i: number) => model.requests[i]!.messages.filter((m) => m.role === "user").at(-1)?.content;
    expect(lastUser(0)).toBe("check my");
    expect(lastUser(1)).toBe("check my balance");
    const view = await callView(tenantId, callId);
    expect(view?.history.filter((h) => h.role === "user").map((h) => h.text)).toEqual(["check my balance"]);
    const replies = view?.history.filter((h) => h.role === "assistant").map((h) => h.text);
    expect(replies).toEqual(["Your balance is 42 dollars."]);
  });
});
