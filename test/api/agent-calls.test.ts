import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { PinnedAgent } from "../../src/call/agent";
import type { CallSession } from "../../src/durable/call-session";
import type { CallStore } from "../../src/storage/call-store";
import { putAgent, webhookTool } from "../helpers/agents";
import { api, expectProblem, startCall, tenant, uid } from "../helpers/api";
import { FAKE_MODEL_SETTINGS } from "../helpers/fake-chat-model";
import { apiWithSettings, callObject } from "../helpers/objects";

// Calls that name an agent (POST /api/v1/calls {agent}): the call pins the agent's current version
// in its object; editing, rotating or deleting the agent later changes only new calls.

/** The agent the call's object pinned (CallStore.agent()). */
async function pinnedAgent(tenantId: string, callId: string): Promise<PinnedAgent | null> {
  return runInDurableObject(callObject(tenantId, callId), (instance: CallSession) =>
    (instance as unknown as { store: CallStore }).store.agent(),
  );
}

const hoursFlow = {
  id: "opening-hours",
  name: "Opening hours",
  language: "en-US",
  initialState: "start",
  greeting: "Hello, you reached the opening hours line of {{context.shop|our shop}}.",
  states: { start: {} },
  intents: [
    {
      name: "opening_hours",
      examples: ["when are you open", "what are your opening hours"],
      keywords: ["open", "hours", "opening hours"],
      reply: "We are open from nine to five.",
    },
    { name: "bye", keywords: ["bye", "goodbye"], reply: "Goodbye!", endCall: true },
  ],
  fallback: { reply: "Sorry, I only know our opening hours." },
};

interface Created {
  callId: string;
  flow: string;
  greeting?: { text: string };
  agent?: { agentId: string; version: number };
}

/** Created as a deployment with a model configured would (a model agent's call needs one). */
async function createCall(key: string, body: Record<string, unknown>): Promise<Created> {
  const res = await apiWithSettings(FAKE_MODEL_SETTINGS)("/api/v1/calls?reply=text", {
    method: "POST",
    key,
    json: body,
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as Created;
}

describe("calls driven by an agent", () => {
  it("pins the agent's current version: a new version changes new calls only", async () => {
    const { tenantId, key } = await tenant();
    const agentId = uid("agent");
    const created = (await (
      await putAgent(key, agentId, {
        instructions: "Version one.",
        greeting: "Hi, this is version one.",
        language: "de-DE",
        tools: [webhookTool()],
      })
    ).json()) as { webhookSecret: string };
    const first = await createCall(key, { agent: agentId });
    expect(first.agent).toEqual({ agentId, version: 1 });
    expect(first.flow).toBe(`agent:${agentId}`);
    expect(first.greeting?.text).toBe("Hi, this is version one.");

    await putAgent(key, agentId, { instructions: "Version two." });
    const pinned = await pinnedAgent(tenantId, first.callId);
    expect(pinned).toMatchObject({ agentId, version: 1, webhookSecret: created.webhookSecret });
    expect(pinned?.definition.instructions).toBe("Version one.");
    expect(pinned?.definition.tools).toHaveLength(1);

    const second = await createCall(key, { agent: agentId });
    expect(second.agent).toEqual({ agentId, version: 2 });
    expect((await pinnedAgent(tenantId, second.callId))?.definition.instructions).toBe("Version two.");

    // The call shows its agent (never the secret); the agent's language applied as none was asked for.
    const view = await api(`/api/v1/calls/${first.callId}`, { key });
    const text = await view.text();
    expect(text).not.toContain("whsec_");
    expect(JSON.parse(text)).toMatchObject({ agent: { agentId, version: 1 }, language: "de-DE", tier: "hot" });
    // A language in the request wins over the agent's.
    const asked = await createCall(key, { agent: agentId, language: "fr-FR" });
    const askedView = (await (await api(`/api/v1/calls/${asked.callId}`, { key })).json()) as { language: string };
    expect(askedView.language).toBe("fr-FR");

    // Ended and read from D1, the call still names its agent version.
    expect((await api(`/api/v1/calls/${first.callId}/end`, { method: "POST", key })).status).toBe(200);
    const warm = (await (await api(`/api/v1/calls/${first.callId}`, { key })).json()) as Record<string, unknown>;
    expect(warm).toMatchObject({ tier: "warm", agent: { agentId, version: 1 } });
  });

  it("creates a model agent's call without a greeting when the agent has none", async () => {
    const { tenantId, key } = await tenant();
    const agentId = uid("agent");
    await putAgent(key, agentId, { instructions: "Be brief.", llm: { provider: "openai", model: "m" } });
    const call = await createCall(key, { agent: agentId });
    expect(call.greeting).toBeUndefined();
    const view = (await (await api(`/api/v1/calls/${call.callId}`, { key })).json()) as { history: unknown[] };
    expect(view.history).toEqual([]);
    const pinned = await pinnedAgent(tenantId, call.callId);
    expect(pinned?.definition.llm).toEqual({ provider: "openai", model: "m" });
    // A flow call has no pinned agent.
    expect(await pinnedAgent(tenantId, await startCall(key))).toBeNull();
  });

  it("refuses an unknown, deleted or other tenant's agent with 404, and a flow named too with 400", async () => {
    const a = await tenant();
    const b = await tenant();
    const agentId = uid("agent");
    await putAgent(a.key, agentId, { instructions: "x" });
    const theirs = api("/api/v1/calls", { method: "POST", key: b.key, json: { agent: agentId } });
    await expectProblem(await theirs, 404, "agent_not_found");
    const missing = api("/api/v1/calls", { method: "POST", key: a.key, json: { agent: "no-such-agent" } });
    await expectProblem(await missing, 404, "agent_not_found");
    const both = api("/api/v1/calls", { method: "POST", key: a.key, json: { agent: agentId, flow: "payments" } });
    await expectProblem(await both, 400, "invalid_request");
    const badId = api("/api/v1/calls", { method: "POST", key: a.key, json: { agent: "not ok" } });
    await expectProblem(await badId, 400, "invalid_request");
  });

  it("DELETE: new calls naming the agent get 404; a running call keeps its pinned agent", async () => {
    const { tenantId, key } = await tenant();
    const agentId = uid("agent");
    await putAgent(key, agentId, { flow: hoursFlow });
    const running = await createCall(key, { agent: agentId });
    expect((await api(`/api/v1/agents/${agentId}`, { method: "DELETE", key })).status).toBe(204);
    await expectProblem(
      await api("/api/v1/calls", { method: "POST", key, json: { agent: agentId } }),
      404,
      "agent_not_found",
    );
    expect(await pinnedAgent(tenantId, running.callId)).toMatchObject({ agentId, version: 1 });
    const turn = await api(`/api/v1/calls/${running.callId}/turns?reply=text`, {
      method: "POST",
      key,
      json: { text: "when are you open" },
    });
    expect(turn.status).toBe(200);
    expect(((await turn.json()) as { intent: { name: string } }).intent.name).toBe("opening_hours");
  });

  it("a rotated secret applies to new calls; a running call keeps the secret it started with", async () => {
    const { tenantId, key } = await tenant();
    const agentId = uid("agent");
    const { webhookSecret } = (await (await putAgent(key, agentId, { instructions: "x" })).json()) as {
      webhookSecret: string;
    };
    const running = await createCall(key, { agent: agentId });
    const rotated = (await (await api(`/api/v1/agents/${agentId}/rotate-secret`, { method: "POST", key })).json()) as {
      webhookSecret: string;
    };
    expect((await pinnedAgent(tenantId, running.callId))?.webhookSecret).toBe(webhookSecret);
    const fresh = await createCall(key, { agent: agentId });
    expect((await pinnedAgent(tenantId, fresh.callId))?.webhookSecret).toBe(rotated.webhookSecret);
  });

  it("an uploaded flow drives the call: its greeting, its intents, its fallback and its end", async () => {
    const { key } = await tenant();
    const agentId = uid("agent");
    await putAgent(key, agentId, { flow: hoursFlow });
    const call = await createCall(key, { agent: agentId, context: { shop: "Bakery Ada" } });
    expect(call.greeting?.text).toBe("Hello, you reached the opening hours line of Bakery Ada.");

    const say = async (text: string) => {
      const res = await api(`/api/v1/calls/${call.callId}/turns?reply=text`, { method: "POST", key, json: { text } });
      expect(res.status, await res.clone().text()).toBe(200);
      return (await res.json()) as { intent: { name: string }; reply: { text: string }; callStatus: string };
    };
    const hours = await say("what are your opening hours");
    expect(hours.intent.name).toBe("opening_hours");
    expect(hours.reply.text).toBe("We are open from nine to five.");
    // Something the built-in contact-center flow knows, this flow does not.
    const balance = await say("what is my account balance");
    expect(balance.reply.text).toContain("Sorry, I only know our opening hours.");
    const bye = await say("goodbye");
    expect(bye.intent.name).toBe("bye");
    expect(bye.callStatus).toBe("ended");
  });

  it("an agent's own greeting replaces its flow's", async () => {
    const { key } = await tenant();
    const agentId = uid("agent");
    await putAgent(key, agentId, { flow: hoursFlow, greeting: "Welcome!" });
    expect((await createCall(key, { agent: agentId })).greeting?.text).toBe("Welcome!");
  });
});
