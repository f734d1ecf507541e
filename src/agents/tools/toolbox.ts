import { errorMessage } from "../../lib/errors";
import { log } from "../../observability/log";
import { inSpan, SpanKind } from "../../observability/tracing";
import type { LlmToolCall, LlmToolSpec } from "../../providers/llm/types";
import type { AgentTool, PinnedAgent, ToolCallContext, ToolOutcome, Toolbox } from "../types";
import { argumentChecker, type ArgumentChecker } from "./arguments";
import { endCall, endCallSpec, transfer, transferSpec } from "./builtins";
import { McpToolSource, type McpListedTool } from "./mcp";
import { elapsedMs, toolFailure } from "./outcome";
import { callWebhookTool, type WebhookTool } from "./webhook";

/**
 * The tools of one call's agent: what the model is shown (specs) and how each of its calls is
 * run. Built once per call (MCP servers are connected and listed here, once); the caller keeps
 * it for the call and closes it at the end.
 *
 * Names. Every tool gets a name the model providers accept (/^[A-Za-z0-9_-]{1,64}$/: other
 * characters, such as the dots MCP allows, become "_", and long names are cut to 64). Names are
 * then given out first come, first served, in a fixed order: the built-ins (end_call, transfer, in
 * definition order), then webhook tools in definition order, then each MCP server's tools, servers
 * in definition order and each server's tools in the order it lists them. A name already taken
 * gets the first free suffix "_2", "_3"... So a webhook tool never loses its name to an MCP tool,
 * and the same definition and listings always give the same names, whichever server answered first.
 *
 * Arguments are checked against every tool's schema (arguments.ts) before it runs, with one
 * validator per tool for the whole call. Spans and logs carry tool names, types and outcomes,
 * never argument values or results (they may hold personal data).
 */

const MODEL_TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_NAME = 64;

type Runner = (args: Record<string, unknown>, call: LlmToolCall, signal: AbortSignal) => Promise<ToolOutcome>;

interface Entry {
  spec: LlmToolSpec;
  type: AgentTool["type"];
  check: ArgumentChecker;
  run: Runner;
}

export async function toolboxFor(agent: PinnedAgent, ctx: ToolCallContext): Promise<Toolbox> {
  const tools = agent.definition.tools;
  const entries = new Map<string, Entry>();
  const add = (spec: LlmToolSpec, type: AgentTool["type"], run: Runner) => {
    const name = freeName(entries, modelToolName(spec.name));
    entries.set(name, { spec: { ...spec, name }, type, check: argumentChecker(spec.parameters), run });
  };

  for (const tool of tools) {
    if (tool.type === "end_call") add(endCallSpec(tool), "end_call", async () => endCall(Date.now()));
    if (tool.type === "transfer") add(transferSpec(tool), "transfer", async (args) => transfer(tool, args, Date.now()));
  }
  for (const tool of tools) if (tool.type === "webhook") add(webhookSpec(tool), "webhook", webhookRunner(tool, ctx));

  const sources = tools.flatMap((t) => (t.type === "mcp" ? [new McpToolSource(t, ctx)] : []));
  // Listed in parallel, named in definition order: names do not depend on which server is faster.
  const listings = await Promise.allSettled(sources.map((s) => s.list()));
  for (const [i, source] of sources.entries()) {
    const listing = listings[i];
    if (listing?.status === "fulfilled") {
      for (const t of listing.value) add(mcpSpec(t), "mcp", mcpRunner(source, t.name));
      continue;
    }
    // A server that is down costs its tools for this call, not the call.
    log(
      "agent_mcp_unavailable",
      { agentId: agent.agentId, host: hostOf(source.tool.url), error: shortError(listing?.reason, source.tool.url) },
      "warn",
    );
    await source.close();
  }

  let closed = false;
  return {
    specs: [...entries.values()].map((e) => e.spec),
    call: (call, signal) => runTool(entries.get(call.name), call, signal),
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all(sources.map((s) => s.close()));
    },
  };
}

/** `raw` with characters providers refuse replaced by "_", cut to 64 characters. */
export function modelToolName(raw: string): string {
  if (MODEL_TOOL_NAME.test(raw)) return raw;
  const cleaned = raw.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, MAX_NAME);
  return cleaned || "tool";
}

/** `wanted`, or `wanted_2`, `wanted_3`... (cut so the suffix fits), the first not taken. */
function freeName(taken: ReadonlyMap<string, unknown>, wanted: string): string {
  let name = wanted;
  for (let n = 2; taken.has(name); n++) {
    const suffix = `_${n}`;
    name = wanted.slice(0, MAX_NAME - suffix.length) + suffix;
  }
  return name;
}

async function runTool(entry: Entry | undefined, call: LlmToolCall, signal: AbortSignal): Promise<ToolOutcome> {
  const startedAt = Date.now();
  if (!entry) return toolFailure(`no such tool: ${call.name.slice(0, MAX_NAME)}`, 0);
  const remote = entry.type === "webhook" || entry.type === "mcp";
  const attributes = { "voice.tool.name": entry.spec.name, "voice.tool.type": entry.type };
  return inSpan(
    "tool",
    attributes,
    async (span) => {
      const checked = entry.check(call.arguments);
      const outcome = checked.ok
        ? await entry.run(checked.args, call, signal).catch(() => toolFailure("the tool failed", elapsedMs(startedAt)))
        : toolFailure(checked.error, elapsedMs(startedAt));
      span?.setAttributes({ "voice.tool.ok": outcome.ok, "voice.tool.latency_ms": outcome.latencyMs });
      if (!outcome.ok) span?.setAttribute("error.type", checked.ok ? "tool_error" : "invalid_arguments");
      return outcome;
    },
    remote ? SpanKind.CLIENT : SpanKind.INTERNAL,
  );
}

function webhookSpec(tool: WebhookTool): LlmToolSpec {
  return { name: tool.name, description: tool.description, parameters: tool.parameters };
}

function webhookRunner(tool: WebhookTool, ctx: ToolCallContext): Runner {
  return (args, call, signal) => callWebhookTool(tool, call.id, args, ctx, signal);
}

function mcpSpec(tool: McpListedTool): LlmToolSpec {
  return { name: tool.name, description: tool.description, parameters: tool.inputSchema };
}

/** Called by the server's own name, whatever name the model knows it by. */
function mcpRunner(source: McpToolSource, remoteName: string): Runner {
  return (args, _call, signal) => source.call(remoteName, args, signal);
}

function hostOf(url: string): string | undefined {
  // The host only: a path or query may carry the server's access token.
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}

/** The error's message without the server's full URL (which may carry a token), cut short. */
function shortError(err: unknown, url: string): string {
  return errorMessage(err)
    .replaceAll(url, hostOf(url) ?? "the server")
    .slice(0, 200);
}
