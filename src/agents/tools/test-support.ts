import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
// A namespace import: the one-name import is longer than a line, and prettier keeps it on one.
import * as webStandard from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker";
import { z } from "zod";

type ServerTransport = webStandard.WebStandardStreamableHTTPServerTransport;

/**
 * A real MCP server from the SDK (McpServer over its web-standard Streamable HTTP transport), run
 * in the test's isolate and reached through an injected fetch: one transport per session, as a
 * stateful server keeps them. It counts what it is asked, so tests can check the client's traffic.
 */

export interface TestMcpServer {
  fetch: typeof fetch;
  /** JSON-RPC methods received, in order ("initialize", "tools/list", "tools/call"...). */
  methods: string[];
  /** HTTP methods received, in order. */
  httpMethods: string[];
  /** Forgets every session, as a restarted server does: the next request with an old id gets 404. */
  forgetSessions(): void;
}

export interface TestMcpOptions {
  /** Answer with JSON instead of an event stream. */
  json?: boolean;
  /** Milliseconds the `slow` tool takes. */
  slowMs?: number;
}

function buildServer(options: TestMcpOptions): McpServer {
  const server = new McpServer(
    { name: "test-tools", version: "1.0.0" },
    { jsonSchemaValidator: new CfWorkerJsonSchemaValidator() },
  );
  server.registerTool(
    "add",
    { description: "Adds two numbers", inputSchema: { a: z.number(), b: z.number() } },
    async ({ a, b }) => ({ content: [{ type: "text", text: String(a + b) }] }),
  );
  server.registerTool(
    "weather",
    {
      description: "The weather in a city",
      inputSchema: { city: z.string() },
      outputSchema: { city: z.string(), celsius: z.number() },
    },
    async ({ city }) => ({
      content: [{ type: "text", text: JSON.stringify({ city, celsius: 21 }) }],
      structuredContent: { city, celsius: 21 },
    }),
  );
  server.registerTool("fail", { description: "Always fails" }, async () => {
    throw new Error("the database is down");
  });
  server.registerTool("slow", { description: "Takes its time" }, async () => {
    await new Promise((resolve) => setTimeout(resolve, options.slowMs ?? 5_000));
    return { content: [{ type: "text", text: "late" }] };
  });
  server.registerTool("db.query", { description: "A name with a dot" }, async () => ({
    content: [{ type: "text", text: "rows" }],
  }));
  server.registerTool("huge", { description: "Answers 20 KiB" }, async () => ({
    content: [{ type: "text", text: "x".repeat(20 * 1024) }],
  }));
  return server;
}

export function testMcpServer(options: TestMcpOptions = {}): TestMcpServer {
  const sessions = new Map<string, ServerTransport>();
  const methods: string[] = [];
  const httpMethods: string[] = [];

  async function handle(req: Request): Promise<Response> {
    httpMethods.push(req.method);
    if (req.method === "POST") {
      const body = (await req.clone().json()) as { method?: string } | { method?: string }[];
      for (const m of Array.isArray(body) ? body : [body]) if (m.method) methods.push(m.method);
    }
    const sessionId = req.headers.get("mcp-session-id");
    if (sessionId) {
      const transport = sessions.get(sessionId);
      if (!transport) return Response.json({ error: "unknown session" }, { status: 404 });
      return transport.handleRequest(req);
    }
    const transport: ServerTransport = new webStandard.WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => crypto.randomUUID(),
      enableJsonResponse: options.json ?? false,
      onsessioninitialized: (id) => {
        sessions.set(id, transport);
      },
    });
    await buildServer(options).connect(transport);
    return transport.handleRequest(req);
  }

  return {
    fetch: async (input, init) => handle(new Request(input, init)),
    methods,
    httpMethods,
    forgetSessions: () => sessions.clear(),
  };
}
