import { describe, expect, it, vi } from "vitest";
import type { ToolCallContext } from "../types";
import { McpToolSource, type McpTool } from "./mcp";
import { testMcpServer, type TestMcpServer } from "./test-support";

const URL_ = "https://mcp.example.com/mcp";

function context(server: Pick<TestMcpServer, "fetch">): ToolCallContext {
  return {
    tenantId: "t_1",
    callId: "c_1",
    agentId: "a_1",
    webhookSecret: "whsec_unused",
    allowPrivateUrls: false,
    fetch: server.fetch,
  };
}

const live = () => new AbortController().signal;

describe("MCP tool source", () => {
  for (const json of [false, true]) {
    it(`list the server's tools once and call them (${json ? "JSON" : "event-stream"} answers)`, async () => {
      const server = testMcpServer({ json });
      const source = new McpToolSource({ type: "mcp", url: URL_ }, context(server));
      const tools = await source.list();
      expect(tools.map((t) => t.name)).toEqual(["add", "weather", "fail", "slow", "db.query", "huge"]);
      const add = tools.find((t) => t.name === "add");
      expect(add?.description).toBe("Adds two numbers");
      expect(add?.inputSchema).toMatchObject({ type: "object", properties: { a: { type: "number" } } });

      expect(await source.call("add", { a: 2, b: 3 }, live())).toMatchObject({ ok: true, result: "5" });
      // A tool with an output schema: its structured content is the result (checked by the
      // Workers-safe validator the client was given).
      expect(await source.call("weather", { city: "Oslo" }, live())).toMatchObject({
        ok: true,
        result: { city: "Oslo", celsius: 21 },
      });
      await source.list();
      expect(server.methods.filter((m) => m === "initialize")).toHaveLength(1);
      expect(server.methods.filter((m) => m === "tools/list")).toHaveLength(1);
      // The standalone GET stream is declined before it reaches the server.
      expect(server.httpMethods).not.toContain("GET");

      await source.close();
      await source.close();
      expect(server.httpMethods.filter((m) => m === "DELETE")).toHaveLength(1);
      expect(await source.call("add", { a: 1, b: 1 }, live())).toMatchObject({ ok: false });
    });
  }

  it("validate tool output without generating code, as Workers require", async () => {
    // The test pool allows new Function; deployed Workers do not. With it made to throw, a
    // validator that compiles schemas to code (Ajv, the SDK's default) would fail this call.
    const source = new McpToolSource({ type: "mcp", url: URL_ }, context(testMcpServer()));
    vi.stubGlobal("Function", function NoCodeGeneration() {
      throw new EvalError("Code generation from strings disallowed for this context");
    });
    try {
      await source.list();
      expect(await source.call("weather", { city: "Oslo" }, live())).toMatchObject({ ok: true });
    } finally {
      vi.unstubAllGlobals();
      await source.close();
    }
  });

  it("keep only allowedTools", async () => {
    const server = testMcpServer();
    const tool: McpTool = { type: "mcp", url: URL_, allowedTools: ["add", "nonexistent"] };
    const source = new McpToolSource(tool, context(server));
    expect((await source.list()).map((t) => t.name)).toEqual(["add"]);
    await source.close();
  });

  it("turn a failing tool, an oversized answer and a JSON-RPC error into tool errors", async () => {
    const source = new McpToolSource({ type: "mcp", url: URL_ }, context(testMcpServer()));
    await source.list();
    const failed = await source.call("fail", {}, live());
    expect(failed).toMatchObject({ ok: false, result: { error: expect.stringContaining("the database is down") } });
    expect(await source.call("huge", {}, live())).toMatchObject({
      ok: false,
      result: { error: "the tool's answer is larger than 16 KiB" },
    });
    const unknown = await source.call("nope", {}, live());
    expect(unknown.ok).toBe(false);
    await source.close();
  });

  it("stop waiting when the turn is aborted", async () => {
    const source = new McpToolSource({ type: "mcp", url: URL_ }, context(testMcpServer({ slowMs: 2_000 })));
    await source.list();
    const started = Date.now();
    const outcome = await source.call("slow", {}, AbortSignal.timeout(100));
    expect(outcome).toMatchObject({ ok: false, result: { error: "the tool call was cancelled" } });
    expect(Date.now() - started).toBeLessThan(1_500);
    await source.close();
  });

  it("start a new session when the server forgot the old one, and retry the call once", async () => {
    const server = testMcpServer();
    const source = new McpToolSource({ type: "mcp", url: URL_ }, context(server));
    await source.list();
    server.forgetSessions();
    expect(await source.call("add", { a: 1, b: 2 }, live())).toMatchObject({ ok: true, result: "3" });
    expect(server.methods.filter((m) => m === "initialize")).toHaveLength(2);
    expect(server.methods.filter((m) => m === "tools/call")).toHaveLength(2);
    await source.close();
  });

  it("fail to list from a server that errors or a URL the rule refuses", async () => {
    const broken = new McpToolSource(
      { type: "mcp", url: URL_ },
      context({ fetch: async () => new Response("boom", { status: 500 }) }),
    );
    await expect(broken.list()).rejects.toThrow();
    await broken.close();

    let called = 0;
    const privateUrl = new McpToolSource(
      { type: "mcp", url: "https://192.168.1.10/mcp" },
      context({
        fetch: async () => {
          called++;
          return new Response(null, { status: 500 });
        },
      }),
    );
    await expect(privateUrl.list()).rejects.toThrow(/not allowed/);
    expect(called).toBe(0);
  });
});
