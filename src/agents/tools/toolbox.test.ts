import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { newWebhookSecret } from "../../security/webhook-signature";
import type { AgentTool, PinnedAgent, ToolCallContext } from "../types";
import { testMcpServer } from "./test-support";
import { modelToolName, toolboxFor } from "./toolbox";

const secret = newWebhookSecret();
const live = () => new AbortController().signal;

function agent(tools: AgentTool[]): PinnedAgent {
  return {
    agentId: "a_1",
    version: 1,
    webhookSecret: secret,
    definition: { instructions: "Help.", tools, maxToolCallsPerTurn: 4 },
  };
}

/** Routes by host: the MCP servers each get one, anything else is the webhook receiver. */
function context(routes: Record<string, typeof fetch>): ToolCallContext {
  return {
    tenantId: "t_1",
    callId: "c_1",
    agentId: "a_1",
    webhookSecret: secret,
    allowPrivateUrls: false,
    fetch: async (input, init) => {
      const host = new URL(input instanceof Request ? input.url : input.toString()).host;
      const route = routes[host];
      if (!route) throw new TypeError(`no route to ${host}`);
      return route(input, init);
    },
  };
}

const lookup: AgentTool = {
  type: "webhook",
  name: "add",
  description: "Adds on the tenant's server",
  parameters: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } }, required: ["a", "b"] },
  url: "https://hooks.example.com/add",
};

async function receiver(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const req = new Request(input, init);
  const body = new Webhook(secret).verify(await req.text(), Object.fromEntries(req.headers)) as {
    arguments: { a: number; b: number };
  };
  return Response.json({ sum: body.arguments.a + body.arguments.b, from: "webhook" });
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("toolbox", () => {
  it("offer built-ins, webhooks and MCP tools, naming collisions first come first served", async () => {
    const mcp = testMcpServer();
    const tools: AgentTool[] = [
      { type: "mcp", url: "https://mcp.example.com/mcp", allowedTools: ["add", "db.query", "weather"] },
      lookup,
      {
        type: "webhook",
        name: "end_call",
        description: "A webhook named like a built-in",
        parameters: { type: "object" },
        url: "https://hooks.example.com/end",
      },
      { type: "end_call" },
      { type: "transfer", number: "+14155550100" },
    ];
    const box = await toolboxFor(
      agent(tools),
      context({ "mcp.example.com": mcp.fetch, "hooks.example.com": receiver }),
    );
    expect(box.specs.map((s) => s.name)).toEqual([
      "end_call",
      "transfer",
      "add",
      "end_call_2",
      "add_2",
      "weather",
      "db_query",
    ]);

    const viaWebhook = await box.call({ id: "t1", name: "add", arguments: '{"a":2,"b":3}' }, live());
    expect(viaWebhook).toMatchObject({ ok: true, result: { sum: 5, from: "webhook" } });
    const viaMcp = await box.call({ id: "t2", name: "add_2", arguments: '{"a":2,"b":3}' }, live());
    expect(viaMcp).toMatchObject({ ok: true, result: "5" });
    expect(await box.call({ id: "t3", name: "db_query", arguments: "{}" }, live())).toMatchObject({ result: "rows" });
    expect(await box.call({ id: "t4", name: "end_call", arguments: "{}" }, live())).toMatchObject({
      ok: true,
      action: { type: "end_call" },
    });
    expect(await box.call({ id: "t5", name: "transfer", arguments: "" }, live())).toMatchObject({
      action: { type: "transfer", number: "+14155550100" },
    });

    // Listed once for the toolbox, however many calls follow; MCP tools in the order the server lists them.
    expect(mcp.methods.filter((m) => m === "tools/list")).toHaveLength(1);
    await box.close();
    await box.close();
    expect(mcp.httpMethods.filter((m) => m === "DELETE")).toHaveLength(1);
  });

  it("check arguments against the tool's schema before calling it", async () => {
    let called = 0;
    const box = await toolboxFor(
      agent([lookup]),
      context({
        "hooks.example.com": async () => {
          called++;
          return Response.json({});
        },
      }),
    );
    const bad = await box.call({ id: "t", name: "add", arguments: '{"a":"two"}' }, live());
    expect(bad.ok).toBe(false);
    expect(bad.result).toEqual({ error: expect.stringMatching(/^invalid arguments: .*"b".*arguments\/a:/) });
    expect(await box.call({ id: "t", name: "add", arguments: "{nope" }, live())).toMatchObject({ ok: false });
    expect(called).toBe(0);
  });

  it("answer an unknown tool name with a tool error", async () => {
    const box = await toolboxFor(agent([{ type: "end_call" }]), context({}));
    expect(await box.call({ id: "t", name: "launch_rockets", arguments: "{}" }, live())).toEqual({
      ok: false,
      result: { error: "no such tool: launch_rockets" },
      latencyMs: 0,
    });
  });

  it("leave out the tools of a server that fails, log it without arguments, and keep the rest", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const good = testMcpServer();
    const tools: AgentTool[] = [
      { type: "mcp", url: "https://down.example.com/mcp?token=s3cret" },
      { type: "mcp", url: "https://mcp.example.com/mcp", allowedTools: ["add"] },
      lookup,
    ];
    const box = await toolboxFor(
      agent(tools),
      context({
        "down.example.com": async () => new Response("unavailable", { status: 503 }),
        "mcp.example.com": good.fetch,
        "hooks.example.com": receiver,
      }),
    );
    expect(box.specs.map((s) => s.name)).toEqual(["add", "add_2"]);
    expect(await box.call({ id: "t", name: "add_2", arguments: '{"a":1,"b":1}' }, live())).toMatchObject({
      ok: true,
      result: "2",
    });
    const lines = warn.mock.calls.map((c) => String(c[0]));
    const line = lines.find((l) => l.includes("agent_mcp_unavailable"));
    expect(line).toBeDefined();
    expect(JSON.parse(line ?? "{}")).toMatchObject({ host: "down.example.com", agentId: "a_1" });
    expect(line).not.toContain("s3cret");
    await box.close();
  });

  it("make any name acceptable to model providers", () => {
    expect(modelToolName("lookup_order")).toBe("lookup_order");
    expect(modelToolName("db.query")).toBe("db_query");
    expect(modelToolName("x".repeat(100))).toHaveLength(64);
    expect(modelToolName("")).toBe("tool");
  });
});
