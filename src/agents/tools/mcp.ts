import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport, StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { FetchLike } from "@modelcontextprotocol/sdk/shared/transport.js";
import { McpError, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker";
import { untilAborted } from "../../lib/abortable";
import { toolUrlProblem } from "../tool-url";
import type { AgentTool, ToolCallContext, ToolOutcome } from "../types";
import { BodyTooLargeError, boundedResponse } from "./bounded-body";
import { elapsedMs, MAX_TOOL_ANSWER_BYTES, toolFailure } from "./outcome";

/**
 * A remote MCP server's tools, over Streamable HTTP with the official SDK's Client. One source
 * per server per call: it connects when its tools are first listed (when the call's toolbox is
 * built), lists them once, and keeps the session for the call's tool calls until close().
 *
 * Made to run in workerd:
 * - The Client validates tool output schemas with Ajv by default, which compiles with new
 *   Function (forbidden in Workers): the SDK's @cfworker/json-schema validator is passed instead.
 * - The transport opens a standalone GET event stream after initialisation, for messages the
 *   server starts (sampling, elicitation, list-changed notices). We use none of them, and the
 *   stream would hold a connection open for the whole call, so the injected fetch answers that
 *   GET itself with 405, which the spec (and the SDK) read as "no such stream".
 * - Every answer body is capped (MAX_MCP_RESPONSE_BYTES) as it is read.
 */

export type McpTool = Extract<AgentTool, { type: "mcp" }>;

/** One of a server's tools, as the server names and describes it. */
export interface McpListedTool {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}

export const MCP_CONNECT_TIMEOUT_MS = 5_000;
/** Connecting and listing together: a slow server must not hold the call's start for long. */
export const MCP_LIST_DEADLINE_MS = 8_000;
export const MCP_CALL_TIMEOUT_MS = 10_000;
/** Per HTTP answer from the server; a tool's result is held to MAX_TOOL_ANSWER_BYTES as well. */
const MAX_MCP_RESPONSE_BYTES = 1024 * 1024;
/** The prompt carries every tool's schema: a server listing hundreds must not crowd it out. */
const MAX_TOOLS_PER_SERVER = 64;
const MAX_LIST_PAGES = 8;
const MAX_DESCRIPTION_CHARS = 2_000;
const MAX_ERROR_CHARS = 500;
const CLOSE_TIMEOUT_MS = 2_000;

export class McpToolSource {
  private client: Client | undefined;
  private listing: Promise<McpListedTool[]> | undefined;
  private closed = false;

  constructor(
    readonly tool: McpTool,
    private readonly ctx: ToolCallContext,
  ) {}

  /** The server's tools that `allowedTools` lets through; connects and lists on the first call only. */
  list(): Promise<McpListedTool[]> {
    this.listing ??= untilAborted(this.listOnce(), AbortSignal.timeout(MCP_LIST_DEADLINE_MS));
    return this.listing;
  }

  /** Calls one of the server's tools by its own name. Never throws. */
  async call(name: string, args: Record<string, unknown>, signal: AbortSignal): Promise<ToolOutcome> {
    const startedAt = Date.now();
    const timeout = AbortSignal.timeout(MCP_CALL_TIMEOUT_MS);
    const combined = AbortSignal.any([signal, timeout]);
    try {
      const result = await untilAborted(this.callWithRenewal(name, args, combined), combined);
      return outcomeOf(result, elapsedMs(startedAt));
    } catch (err) {
      return toolFailure(failureMessage(err, timeout, signal), elapsedMs(startedAt));
    }
  }

  /** Ends the session (a DELETE, as the spec asks of a client that is done). Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    if (client) await closeClient(client);
  }

  private async listOnce(): Promise<McpListedTool[]> {
    const problem = toolUrlProblem(this.tool.url, this.ctx.allowPrivateUrls);
    if (problem) throw new Error(`the MCP server URL is not allowed (${problem})`);
    const client = await this.connected();
    const allowed = this.tool.allowedTools ? new Set(this.tool.allowedTools) : undefined;
    const tools: McpListedTool[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES && tools.length < MAX_TOOLS_PER_SERVER; page++) {
      const result = await client.listTools(cursor ? { cursor } : undefined, { timeout: MCP_CONNECT_TIMEOUT_MS });
      for (const t of result.tools) {
        if (allowed && !allowed.has(t.name)) continue;
        tools.push({
          name: t.name,
          description: (t.description ?? t.title ?? "").slice(0, MAX_DESCRIPTION_CHARS),
          inputSchema: t.inputSchema as Record<string, unknown>,
        });
      }
      cursor = result.nextCursor;
      if (!cursor) break;
    }
    return tools.slice(0, MAX_TOOLS_PER_SERVER);
  }

  private async connected(): Promise<Client> {
    if (this.closed) throw new Error("the MCP session is closed");
    if (this.client) return this.client;
    const client = new Client(
      { name: "voice-edge", version: "1.0.0" },
      { capabilities: {}, jsonSchemaValidator: new CfWorkerJsonSchemaValidator() },
    );
    const transport = new StreamableHTTPClientTransport(new URL(this.tool.url), {
      fetch: mcpFetch(this.ctx.fetch ?? fetch),
      // No reconnection timers: a dropped answer stream fails its request, which the model hears.
      reconnectionOptions: {
        maxRetries: 0,
        initialReconnectionDelay: 1_000,
        maxReconnectionDelay: 1_000,
        reconnectionDelayGrowFactor: 1,
      },
    });
    await client.connect(transport, { timeout: MCP_CONNECT_TIMEOUT_MS });
    if (this.closed) {
      // close() ran while connecting: this session has no owner left.
      await closeClient(client);
      throw new Error("the MCP session is closed");
    }
    this.client = client;
    return client;
  }

  /**
   * One call; when the server has forgotten the session (404, which the spec says means "start a
   * new one"), one new session and one retry. The server did not run the first attempt.
   */
  private async callWithRenewal(name: string, args: Record<string, unknown>, signal: AbortSignal) {
    const client = await this.connected();
    const options = { signal, timeout: MCP_CALL_TIMEOUT_MS + 1_000 };
    try {
      return await client.callTool({ name, arguments: args }, undefined, options);
    } catch (err) {
      if (!(err instanceof StreamableHTTPError && err.code === 404) || signal.aborted) throw err;
      if (this.client === client) this.client = undefined;
      await closeClient(client);
      const renewed = await this.connected();
      return await renewed.callTool({ name, arguments: args }, undefined, options);
    }
  }
}

/** The injected fetch, with the standalone GET stream declined and every answer capped. */
function mcpFetch(base: typeof fetch): FetchLike {
  return async (url, init) => {
    if ((init?.method ?? "GET").toUpperCase() === "GET") return new Response(null, { status: 405 });
    const response = await base(url, init);
    return boundedResponse(response, MAX_MCP_RESPONSE_BYTES);
  };
}

async function closeClient(client: Client): Promise<void> {
  const transport = client.transport;
  try {
    if (transport instanceof StreamableHTTPClientTransport && transport.sessionId)
      await untilAborted(transport.terminateSession(), AbortSignal.timeout(CLOSE_TIMEOUT_MS));
  } catch {
    // Best effort: the server expires sessions it is not told about.
  }
  await client.close().catch(() => {});
}

type ToolCallAnswer = Awaited<ReturnType<Client["callTool"]>>;

/** structuredContent when the tool gave one, else its content as text. */
function outcomeOf(answer: ToolCallAnswer, latencyMs: number): ToolOutcome {
  if ("toolResult" in answer && !("content" in answer)) return sized(answer.toolResult, latencyMs);
  const result = answer as CallToolResult;
  if (result.isError) {
    const text = contentText(result).slice(0, MAX_ERROR_CHARS);
    return toolFailure(text ? `the tool failed: ${text}` : "the tool failed", latencyMs);
  }
  return sized(result.structuredContent ?? contentText(result), latencyMs);
}

function sized(value: unknown, latencyMs: number): ToolOutcome {
  const bytes = new TextEncoder().encode(JSON.stringify(value ?? null)).byteLength;
  if (bytes > MAX_TOOL_ANSWER_BYTES)
    return toolFailure(`the tool's answer is larger than ${MAX_TOOL_ANSWER_BYTES / 1024} KiB`, latencyMs);
  return { ok: true, result: value ?? null, latencyMs };
}

/** Text parts joined; other parts (images, audio, resources) named, since a voice model cannot use them. */
function contentText(result: CallToolResult): string {
  return (result.content ?? [])
    .map((part) => {
      if (part.type === "text") return part.text;
      if (part.type === "resource" && "text" in part.resource) return part.resource.text;
      return `[${part.type} omitted]`;
    })
    .join("\n");
}

function failureMessage(err: unknown, timeout: AbortSignal, turn: AbortSignal): string {
  if (timeout.aborted) return `the tool did not answer within ${MCP_CALL_TIMEOUT_MS} ms`;
  if (turn.aborted) return "the tool call was cancelled";
  if (err instanceof BodyTooLargeError) return "the MCP server's answer is too large";
  if (err instanceof StreamableHTTPError) return `the MCP server answered HTTP ${err.code ?? "error"}`;
  // A JSON-RPC error from the server ("unknown tool", "invalid params"): its words help the model.
  if (err instanceof McpError) return `the MCP server refused the call: ${err.message.slice(0, MAX_ERROR_CHARS)}`;
  return "the MCP server could not be reached";
}
