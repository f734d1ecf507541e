import type { LlmToolCall, LlmToolSpec } from "../providers/llm/types";

/** The plain data of an agent, kept in src/call/ so storage/ can hold it too (see call/agent.ts). */
export type { AgentDefinition, AgentRef, AgentTool, PinnedAgent } from "../call/agent";

/** What a tool call did, reported to the model and (name, arguments, ok, latency) in the turn result. */
export interface ToolOutcome {
  ok: boolean;
  /** JSON-serialisable: the tool's answer, or `{ error }` for the model when it failed. */
  result: unknown;
  latencyMs: number;
  /** A built-in's effect on the call, applied by the pipeline after the turn. */
  action?: { type: "end_call" } | { type: "transfer"; number?: string | undefined };
}

/** Who a tool call is for: the webhook body names the call and agent; the secret signs it. */
export interface ToolCallContext {
  tenantId: string;
  callId: string;
  agentId: string;
  webhookSecret: string;
  allowPrivateUrls: boolean;
  /** Injected in tests; default the global fetch. */
  fetch?: typeof fetch | undefined;
}

/** The tools of one call's agent, as the model sees them and as the agent loop calls them. */
export interface Toolbox {
  specs: LlmToolSpec[];
  /** Never throws: a failure, a timeout or invalid arguments is an outcome with ok=false. */
  call(call: LlmToolCall, signal: AbortSignal): Promise<ToolOutcome>;
  /** Closes MCP sessions; safe to call twice. */
  close(): Promise<void>;
}
