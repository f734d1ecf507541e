import { describe, expect, it } from "vitest";
import { isWebhookSecret } from "../../src/security/webhook-signature";
import { ADMIN_TOKEN, api, createKey, expectProblem, tenant, uid } from "../helpers/api";
import { putAgent, webhookTool } from "../helpers/agents";
import { apiWithSettings } from "../helpers/objects";

// Agents as data (docs/api-v1.md, "Agents"): PUT creates or versions, GET never shows the secret,
// DELETE hides the agent from new calls, another tenant's agent is 404. Calls that pin agents:
// test/api/agent-calls.test.ts.

interface Put {
  agentId: string;
  version: number;
  createdAt: string;
  webhookSecret?: string;
}

describe("agents: create, version, read, delete", () => {
  it("creates an agent with a secret shown once, then stores new versions without it", async () => {
    const { key } = await tenant();
    const agentId = uid("agent");
    const first = await putAgent(key, agentId, { name: "Support", instructions: "Help with orders." });
    expect(first.status, await first.clone().text()).toBe(201);
    expect(first.headers.get("Location")).toBe(`/api/v1/agents/${agentId}`);
    const created = (await first.json()) as Put;
    expect(created).toMatchObject({ agentId, version: 1 });
    expect(Date.parse(created.createdAt)).toBeGreaterThan(0);
    expect(isWebhookSecret(created.webhookSecret ?? "")).toBe(true);

    const second = await putAgent(key, agentId, { name: "Support", instructions: "Help with orders, politely." });
    expect(second.status).toBe(200);
    const next = (await second.json()) as Put;
    expect(next).toEqual({ agentId, version: 2, createdAt: expect.any(String) as string });

    const read = await api(`/api/v1/agents/${agentId}`, { key });
    expect(read.status).toBe(200);
    const text = await read.text();
    expect(text).not.toContain(created.webhookSecret);
    expect(text).not.toContain("whsec_");
    const view = JSON.parse(text) as { version: number; definition: Record<string, unknown>; createdAt: string };
    expect(view.version).toBe(2);
    expect(view.createdAt).toBe(created.createdAt);
    expect(view.definition).toEqual({
      name: "Support",
      instructions: "Help with orders, politely.",
      tools: [],
      maxToolCallsPerTurn: 4,
    });

    const list = await api("/api/v1/agents", { key });
    expect(list.status).toBe(200);
    const listText = await list.text();
    expect(listText).not.toContain("whsec_");
    expect(JSON.parse(listText)).toEqual({
      agents: [{ agentId, name: "Support", version: 2, createdAt: created.createdAt, updatedAt: next.createdAt }],
    });
  });

  it("gives concurrent PUTs distinct versions, and exactly one of them the secret", async () => {
    const { key } = await tenant();
    const agentId = uid("agent");
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => putAgent(key, agentId, { instructions: `Version from writer ${i}.` })),
    );
    const bodies = (await Promise.all(answers.map((r) => r.json()))) as Put[];
    expect(bodies.map((b) => b.version).sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(answers.filter((r) => r.status === 201)).toHaveLength(1);
    expect(bodies.filter((b) => b.webhookSecret)).toHaveLength(1);
    const view = (await (await api(`/api/v1/agents/${agentId}`, { key })).json()) as { version: number };
    expect(view.version).toBe(6);
  });

  it("deletes: GET and DELETE then 404; a PUT after creates it again with a new secret, numbering on", async () => {
    const { key } = await tenant();
    const agentId = uid("agent");
    const created = (await (await putAgent(key, agentId, { instructions: "One." })).json()) as Put;
    await putAgent(key, agentId, { instructions: "Two." });
    const deleted = await api(`/api/v1/agents/${agentId}`, { method: "DELETE", key });
    expect(deleted.status).toBe(204);
    await expectProblem(await api(`/api/v1/agents/${agentId}`, { key }), 404, "agent_not_found");
    await expectProblem(await api(`/api/v1/agents/${agentId}`, { method: "DELETE", key }), 404, "agent_not_found");
    await expectProblem(
      await api(`/api/v1/agents/${agentId}/rotate-secret`, { method: "POST", key }),
      404,
      "agent_not_found",
    );
    const list = (await (await api("/api/v1/agents", { key })).json()) as { agents: unknown[] };
    expect(list.agents).toEqual([]);

    const again = await putAgent(key, agentId, { instructions: "Three." });
    expect(again.status).toBe(201);
    const body = (await again.json()) as Put;
    expect(body.version).toBe(3);
    expect(isWebhookSecret(body.webhookSecret ?? "")).toBe(true);
    expect(body.webhookSecret).not.toBe(created.webhookSecret);
  });

  it("rotates the secret: shown once, never by GET", async () => {
    const { key } = await tenant();
    const agentId = uid("agent");
    const created = (await (await putAgent(key, agentId, { instructions: "Hi." })).json()) as Put;
    const rotated = await api(`/api/v1/agents/${agentId}/rotate-secret`, { method: "POST", key });
    expect(rotated.status).toBe(200);
    const body = (await rotated.json()) as { agentId: string; webhookSecret: string };
    expect(body.agentId).toBe(agentId);
    expect(isWebhookSecret(body.webhookSecret)).toBe(true);
    expect(body.webhookSecret).not.toBe(created.webhookSecret);
    const view = await (await api(`/api/v1/agents/${agentId}`, { key })).text();
    expect(view).not.toContain(body.webhookSecret);
    expect(view).not.toContain("whsec_");
    // A new version keeps the secret (no secret in the answer).
    const next = (await (await putAgent(key, agentId, { instructions: "Hello." })).json()) as Put;
    expect(next.webhookSecret).toBeUndefined();
  });

  it("pages the list by id", async () => {
    const { key } = await tenant();
    for (const id of ["a-1", "a-2", "a-3"]) await putAgent(key, id, { instructions: "x" });
    const first = (await (await api("/api/v1/agents?limit=2", { key })).json()) as {
      agents: { agentId: string }[];
      nextCursor?: string;
    };
    expect(first.agents.map((a) => a.agentId)).toEqual(["a-1", "a-2"]);
    expect(first.nextCursor).toBe("a-2");
    const second = (await (await api(`/api/v1/agents?limit=2&cursor=${first.nextCursor}`, { key })).json()) as {
      agents: { agentId: string }[];
      nextCursor?: string;
    };
    expect(second.agents.map((a) => a.agentId)).toEqual(["a-3"]);
    expect(second.nextCursor).toBeUndefined();
  });

  it("records writes in the audit log, naming the agent", async () => {
    const { tenantId, key } = await tenant();
    const agentId = uid("agent");
    await putAgent(key, agentId, { instructions: "x" });
    await api(`/api/v1/agents/${agentId}/rotate-secret`, { method: "POST", key });
    await api(`/api/v1/agents/${agentId}`, { method: "DELETE", key });
    let seen: string[] = [];
    for (let i = 0; i < 50 && seen.length < 3; i++) {
      const { entries } = (await (
        await api(`/api/v1/admin/audit?tenantId=${tenantId}`, { key: ADMIN_TOKEN })
      ).json()) as { entries: { action: string; target: string | null; result: string }[] };
      seen = entries.filter((e) => e.action.startsWith("agent.")).map((e) => `${e.action} ${e.target} ${e.result}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(seen.sort()).toEqual(
      [`agent.delete ${agentId} ok`, `agent.put ${agentId} ok`, `agent.rotate_secret ${agentId} ok`].sort(),
    );
  });
});

describe("agents: tenants and scopes", () => {
  it("another tenant's agent is 404 on GET, DELETE and rotate; its PUT makes its own agent", async () => {
    const a = await tenant();
    const b = await tenant();
    const agentId = uid("agent");
    await putAgent(a.key, agentId, { instructions: "Tenant A's agent." });
    await expectProblem(await api(`/api/v1/agents/${agentId}`, { key: b.key }), 404, "agent_not_found");
    await expectProblem(
      await api(`/api/v1/agents/${agentId}`, { method: "DELETE", key: b.key }),
      404,
      "agent_not_found",
    );
    await expectProblem(
      await api(`/api/v1/agents/${agentId}/rotate-secret`, { method: "POST", key: b.key }),
      404,
      "agent_not_found",
    );
    const listed = (await (await api("/api/v1/agents", { key: b.key })).json()) as { agents: unknown[] };
    expect(listed.agents).toEqual([]);
    // Same id, B's own namespace: a new agent (version 1), and A's is untouched.
    const own = await putAgent(b.key, agentId, { instructions: "Tenant B's agent." });
    expect(own.status).toBe(201);
    expect(((await own.json()) as Put).version).toBe(1);
    const aView = (await (await api(`/api/v1/agents/${agentId}`, { key: a.key })).json()) as {
      version: number;
      definition: { instructions: string };
    };
    expect(aView).toMatchObject({ version: 1, definition: { instructions: "Tenant A's agent." } });
  });

  it("needs agents:write to write; calls:read or agents:write to read", async () => {
    const tenantId = uid("t");
    const writer = await createKey(tenantId, ["agents:write"]);
    const reader = await createKey(tenantId, ["calls:read"]);
    const other = await createKey(tenantId, ["calls:write", "voice"]);
    const agentId = uid("agent");
    expect((await putAgent(writer, agentId, { instructions: "x" })).status).toBe(201);
    for (const key of [writer, reader]) {
      expect((await api(`/api/v1/agents/${agentId}`, { key })).status).toBe(200);
      expect((await api("/api/v1/agents", { key })).status).toBe(200);
    }
    const forbidden = await expectProblem(await api(`/api/v1/agents/${agentId}`, { key: other }), 403, "forbidden");
    expect(forbidden.detail).toContain("'calls:read' or 'agents:write'");
    await expectProblem(await api("/api/v1/agents", { key: other }), 403, "forbidden");
    for (const key of [reader, other]) {
      await expectProblem(await putAgent(key, agentId, { instructions: "y" }), 403, "forbidden");
      await expectProblem(await api(`/api/v1/agents/${agentId}`, { method: "DELETE", key }), 403, "forbidden");
      await expectProblem(
        await api(`/api/v1/agents/${agentId}/rotate-secret`, { method: "POST", key }),
        403,
        "forbidden",
      );
    }
    await expectProblem(await api(`/api/v1/agents/${agentId}`), 401, "unauthorized");
    await expectProblem(await api(`/api/v1/agents/${agentId}`, { key: ADMIN_TOKEN }), 403, "forbidden");
  });
});

describe("agents: invalid definitions are 400 invalid_agent naming the field", () => {
  const cases: [string, unknown, string][] = [
    ["missing instructions", { name: "x" }, "instructions: is required unless flow is given"],
    ["instructions too long", { instructions: "a".repeat(20_001) }, "instructions: must be at most 20000"],
    ["unknown field", { instructions: "x", secret: "mine" }, "secret: is not a field"],
    ["unknown nested field", { instructions: "x", voice: { speed: 2 } }, "voice.speed: is not a field"],
    ["unknown tool type", { instructions: "x", tools: [{ type: "sql" }] }, "tools[0].type: must be one of"],
    [
      "parameters not a schema",
      { instructions: "x", tools: [webhookTool({ parameters: "orderId" })] },
      "tools[0].parameters: ",
    ],
    [
      "parameters not an object schema",
      { instructions: "x", tools: [webhookTool({ parameters: { type: "array" } })] },
      'tools[0].parameters.type: must be "object"',
    ],
    [
      "duplicate tool name",
      { instructions: "x", tools: [{ type: "end_call" }, webhookTool(), webhookTool()] },
      "tools[2].name: 'lookup_order' is already the name of tools[1]",
    ],
    [
      "http URL",
      { instructions: "x", tools: [{ type: "end_call" }, webhookTool({ url: "http://tools.example.com/x" })] },
      "tools[1].url: must use https",
    ],
    [
      "private address",
      { instructions: "x", tools: [webhookTool({ url: "https://10.0.0.5/x" })] },
      "tools[0].url: must not be a loopback, private or link-local address",
    ],
    [
      "loopback MCP server",
      { instructions: "x", tools: [{ type: "mcp", url: "https://localhost:9000/mcp" }] },
      "tools[0].url: must not be a loopback",
    ],
    [
      "IPv4-mapped IPv6 loopback",
      { instructions: "x", tools: [webhookTool({ url: "https://[::ffff:127.0.0.1]/x" })] },
      "tools[0].url: must not be a loopback",
    ],
    ["timeout over 10 s", { instructions: "x", tools: [webhookTool({ timeoutMs: 20_000 })] }, "tools[0].timeoutMs: "],
    ["transfer number", { instructions: "x", tools: [{ type: "transfer", number: "12" }] }, "tools[0].number: "],
    ["model provider", { instructions: "x", llm: { provider: "acme" } }, "llm.provider: "],
    ["temperature", { instructions: "x", llm: { temperature: 3 } }, "llm.temperature: "],
    ["max tool calls", { instructions: "x", maxToolCallsPerTurn: 40 }, "maxToolCallsPerTurn: "],
    ["analysis schema", { instructions: "x", analysis: { schema: { type: 5 } } }, "analysis.schema.type: "],
    ["broken flow", { flow: { id: "x" } }, "flow: "],
    ["too many tools", { instructions: "x", tools: Array(33).fill({ type: "end_call" }) }, "tools: "],
    ["not an object", ["instructions"], "(definition): "],
  ];
  for (const [name, definition, detail] of cases) {
    it(name, async () => {
      const { key } = await tenant();
      const agentId = uid("agent");
      const problem = await expectProblem(await putAgent(key, agentId, definition), 400, "invalid_agent");
      expect(problem.detail).toContain(detail);
      // Nothing stored.
      await expectProblem(await api(`/api/v1/agents/${agentId}`, { key }), 404, "agent_not_found");
    });
  }

  it("allows http and private tool URLs when ALLOW_PRIVATE_TOOL_URLS is true", async () => {
    const { key } = await tenant();
    const local = apiWithSettings({ ALLOW_PRIVATE_TOOL_URLS: "true" });
    const res = await local(`/api/v1/agents/${uid("agent")}`, {
      method: "PUT",
      key,
      json: {
        instructions: "x",
        tools: [webhookTool({ url: "http://localhost:8787/tool" }), { type: "mcp", url: "http://127.0.0.1:9000/mcp" }],
      },
    });
    expect(res.status, await res.clone().text()).toBe(201);
  });

  it("refuses a bad agentId, a body that is not (or not sent as) JSON, and one over the size limit", async () => {
    const { key } = await tenant();
    await expectProblem(await putAgent(key, "bad%20id", { instructions: "x" }), 400, "invalid_request");
    const notJson = await api(`/api/v1/agents/${uid("agent")}`, {
      method: "PUT",
      key,
      body: "{nope",
      headers: { "Content-Type": "application/json" },
    });
    expect(notJson.status).toBe(400);
    const noBody = await api(`/api/v1/agents/${uid("agent")}`, { method: "PUT", key });
    expect(noBody.status, await noBody.clone().text()).toBe(400);
    const form = await api(`/api/v1/agents/${uid("agent")}`, {
      method: "PUT",
      key,
      body: "instructions=x",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    await expectProblem(form, 415, "unsupported_media_type");
    // 20,000 three-byte characters: 60 KB, over the general JSON limit, within the agents' one.
    const wide = await putAgent(key, uid("agent"), { instructions: "日".repeat(20_000) });
    expect(wide.status).toBe(201);
    await expectProblem(
      await putAgent(key, uid("agent"), { instructions: "x", name: "n", pad: "a".repeat(300 * 1024) }),
      413,
      "payload_too_large",
    );
  });
});
