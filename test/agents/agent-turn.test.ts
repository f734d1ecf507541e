import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Webhook } from "standardwebhooks";
import { resetHealthForTests } from "../../src/routing/health-registry";
import { api, tenant, uid } from "../helpers/api";
import { FAKE_MODEL_BASE, FAKE_MODEL_SETTINGS, fakeChatModel, type FakeModel } from "../helpers/fake-chat-model";
import { apiWithSettings, setCallBindings } from "../helpers/objects";

afterEach(() => vi.restoreAllMocks());
beforeEach(() => resetHealthForTests());

const TOOL_URL = "https://tools.example.com/balance";
const CARD = "4111 1111 1111 1111";

interface Seen {
  model: FakeModel;
  tool: { body: Record<string, unknown>; verified: unknown }[];
}

/** Outbound traffic of the test: the fake model, and the customer's tool server (which verifies signatures). */
function outbound(model: FakeModel, secret: () => string): Seen {
  const seen: Seen = { model, tool: [] };
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    if (request.url.startsWith(FAKE_MODEL_BASE)) return model.handle(request);
    if (request.url === TOOL_URL) {
      const text = await request.text();
      const verified = new Webhook(secret()).verify(text, Object.fromEntries(request.headers));
      seen.tool.push({ body: JSON.parse(text) as Record<string, unknown>, verified });
      return Response.json({ balance: "42.10", currency: "USD" });
    }
    return new Response("not here", { status: 599 });
  });
  return seen;
}

async function agentCall(definition: Record<string, unknown>) {
  const { tenantId, key } = await tenant();
  const agentId = uid("agent");
  const put = await api(`/api/v1/agents/${agentId}`, { method: "PUT", key, json: definition });
  expect(put.status, await put.clone().text()).toBe(201);
  const { webhookSecret } = (await put.json()) as { webhookSecret: string };
  const callId = uid("call");
  // The call's object runs with the model configured, as a deployment with these settings would.
  await setCallBindings(tenantId, callId, FAKE_MODEL_SETTINGS);
  const created = await apiWithSettings(FAKE_MODEL_SETTINGS)("/api/v1/calls?reply=text", {
    method: "POST",
    key,
    json: { callId, agent: agentId },
  });
  expect(created.status, await created.clone().text()).toBe(201);
  return { tenantId, key, agentId, callId, webhookSecret };
}

const LOOKUP_TOOL = {
  type: "webhook",
  name: "get_balance",
  description: "The caller's account balance",
  parameters: { type: "object", properties: { account: { type: "string" } }, required: ["account"] },
  url: TOOL_URL,
};

describe("an agent's turn", () => {
  it("calls a webhook tool, signed, and answers with its result; no card number reaches model or tool", async () => {
    let secret = "";
    const model = fakeChatModel([
      [{ tool: "get_balance", arguments: { account: "primary" } }],
      [{ text: "Your balance is 42 dollars and 10 cents." }, { text: " Anything else?" }],
    ]);
    const seen = outbound(model, () => secret);
    const call = await agentCall({ instructions: "You are a bank's phone agent.", tools: [LOOKUP_TOOL] });
    secret = call.webhookSecret;
    const res = await api(`/api/v1/calls/${call.callId}/turns?reply=text`, {
      method: "POST",
      key: call.key,
      json: { text: `my card is ${CARD}, what is my balance?` },
    });
    const turn = (await res.json()) as Record<string, unknown> & { reply: { text: string } };
    expect(res.status, JSON.stringify(turn)).toBe(200);
    expect(turn.reply.text).toBe("Your balance is 42 dollars and 10 cents. Anything else?");
    expect(turn.intent).toBeUndefined();
    expect(turn.toolCalls).toEqual([
      { name: "get_balance", arguments: { account: "primary" }, ok: true, latencyMs: expect.any(Number) },
    ]);
    expect((turn.latencyMs as { llm?: number }).llm).toBeGreaterThan(0);
    // The tool got the contract's body, signed with the agent's secret.
    expect(seen.tool).toHaveLength(1);
    expect(seen.tool[0]!.body).toMatchObject({
      callId: call.callId,
      agentId: call.agentId,
      tool: "get_balance",
      arguments: { account: "primary" },
    });
    // The model saw the tool's result in its second request, and never the card number.
    expect(model.requests).toHaveLength(2);
    expect(JSON.stringify(model.requests[1]!.messages)).toContain("42.10");
    const everything = JSON.stringify(model.requests) + JSON.stringify(seen.tool);
    expect(everything).not.toContain("4111");
    expect(everything).toContain("You are a bank's phone agent.");
    // The call keeps the redacted turn and counts the model's tokens.
    const read = (await (await api(`/api/v1/calls/${call.callId}`, { key: call.key })).json()) as {
      history: { role: string; text: string }[];
      llmTokens?: { input: number; output: number };
    };
    expect(JSON.stringify(read.history)).not.toContain("4111");
    expect(read.history.at(-1)).toMatchObject({ role: "assistant", text: turn.reply.text });
    expect(read.llmTokens).toEqual({ input: 201, output: 20 });
    // Ended, the call is read from D1 (the warm tier) with the same count.
    expect((await api(`/api/v1/calls/${call.callId}/end`, { method: "POST", key: call.key })).status).toBe(200);
    const warm = (await (await api(`/api/v1/calls/${call.callId}`, { key: call.key })).json()) as typeof read & {
      tier: string;
    };
    expect(warm).toMatchObject({ tier: "warm", llmTokens: { input: 201, output: 20 } });
  });

  it("hangs up when the model calls end_call", async () => {
    const model = fakeChatModel([[{ text: "Goodbye!" }, { tool: "end_call", arguments: {} }]]);
    outbound(model, () => "");
    const call = await agentCall({ instructions: "Be brief.", tools: [{ type: "end_call" }] });
    const res = await api(`/api/v1/calls/${call.callId}/turns?reply=text`, {
      method: "POST",
      key: call.key,
      json: { text: "that's all, bye" },
    });
    const turn = (await res.json()) as { callStatus: string; reply: { text: string } };
    expect(res.status).toBe(200);
    expect(turn).toMatchObject({ callStatus: "ended", reply: { text: "Goodbye!" } });
    const again = await api(`/api/v1/calls/${call.callId}/turns?reply=text`, {
      method: "POST",
      key: call.key,
      json: { text: "hello?" },
    });
    expect(again.status).toBe(409);
  });

  it("reports a transfer to the client on a call that is not a phone call", async () => {
    const model = fakeChatModel([
      [{ text: "One moment." }, { tool: "transfer", arguments: { number: "+15557654321" } }],
    ]);
    outbound(model, () => "");
    const call = await agentCall({ instructions: "Transfer.", tools: [{ type: "transfer" }] });
    const res = await api(`/api/v1/calls/${call.callId}/turns?reply=text`, {
      method: "POST",
      key: call.key,
      json: { text: "a person please" },
    });
    const turn = (await res.json()) as { transfer?: unknown; callStatus: string };
    expect(res.status).toBe(200);
    expect(turn.transfer).toEqual({ number: "+15557654321", status: "requested" });
    expect(turn.callStatus).toBe("active");
  });

  it("answers with the agent's fallback line when no model answers", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(async () => new Response("down", { status: 503 }));
    const call = await agentCall({ instructions: "Be brief.", fallback: "Our assistant is resting; try later." });
    const res = await api(`/api/v1/calls/${call.callId}/turns?reply=text`, {
      method: "POST",
      key: call.key,
      json: { text: "hello" },
    });
    const turn = (await res.json()) as { degraded?: string[]; reply: { text: string } };
    expect(res.status, JSON.stringify(turn)).toBe(200);
    expect(turn.reply.text).toBe("Our assistant is resting; try later.");
    expect(turn.degraded).toContain("llm_unavailable");
  });

  it("reports a tool that fails to the model, which answers anyway", async () => {
    const model = fakeChatModel([
      [{ tool: "get_balance", arguments: { account: "x" } }],
      [{ text: "I can't see it now." }],
    ]);
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const request = new Request(input, init);
      if (request.url.startsWith(FAKE_MODEL_BASE)) return model.handle(request);
      return new Response("<html>oops</html>", { status: 500 });
    });
    const call = await agentCall({ instructions: "Be brief.", tools: [LOOKUP_TOOL] });
    const res = await api(`/api/v1/calls/${call.callId}/turns?reply=text`, {
      method: "POST",
      key: call.key,
      json: { text: "balance?" },
    });
    const turn = (await res.json()) as { toolCalls: { ok: boolean }[]; reply: { text: string } };
    expect(res.status).toBe(200);
    expect(turn.toolCalls, JSON.stringify(turn)).toBeDefined();
    expect(turn.toolCalls[0]!.ok).toBe(false);
    expect(turn.reply.text).toBe("I can't see it now.");
    const toolMessage = model.requests[1]!.messages.find((m) => m.role === "tool");
    expect(String(toolMessage?.content)).toContain("error");
  });
});

describe("creating an agent's call", () => {
  it("is refused with the settings to change when no model is configured", async () => {
    const { key } = await tenant();
    const agentId = uid("agent");
    await api(`/api/v1/agents/${agentId}`, { method: "PUT", key, json: { instructions: "Hi." } });
    const res = await api("/api/v1/calls?reply=text", { method: "POST", key, json: { agent: agentId } });
    expect(res.status).toBe(503);
    expect(res.headers.get("Retry-After")).toBeNull();
    const problem = (await res.json()) as { code: string; detail: string };
    expect(problem.code).toBe("llm_not_configured");
    expect(problem.detail).toContain("LLM_PROVIDERS");
  });
});
