import type { LlmToolCall, LlmToolSpec } from "../providers/llm/types";

/**
 * An agent as a tenant defines it (PUT /api/v1/agents/{agentId}; the contract's "Agents"
 * section), after validation by src/agents/definition.ts. Stored in D1 one row per version; a
 * call pins the version it started with (PinnedAgent), so editing an agent never changes a call.
 */
export interface AgentDefinition {
  name?: string | undefined;
  /** The model's instructions (system prompt); absent only when `flow` drives the call. */
  instructions?: string | undefined;
  /** A flow in the built-in engine's format (nlp/flow-schema.ts), instead of a model. */
  flow?: unknown;
  greeting?: string | undefined;
  /** What the caller hears when no model answers (a default line when absent). */
  fallback?: string | undefined;
  llm?: { provider?: string; model?: string; temperature?: number; maxOutputTokens?: number } | undefined;
  tools: AgentTool[];
  voice?: { provider?: string; voice?: string } | undefined;
  language?: string | undefined;
  maxToolCallsPerTurn: number;
  analysis?: { summary?: boolean; schema?: Record<string, unknown>; successCriteria?: string } | undefined;
}

export type AgentTool =
  | {
      type: "webhook";
      name: string;
      description: string;
      /** JSON Schema of an object: the model's arguments are validated against it before the call. */
      parameters: Record<string, unknown>;
      url: string;
      timeoutMs?: number | undefined;
    }
  | { type: "end_call"; description?: string | undefined }
  | { type: "transfer"; number?: string | undefined; description?: string | undefined }
  | { type: "mcp"; url: string; allowedTools?: string[] | undefined };

/** The version of an agent a call started with, as the call's object keeps it. */
export interface PinnedAgent {
  agentId: string;
  version: number;
  definition: AgentDefinition;
  /** `whsec_…`: signs the agent's webhook tool calls (the contract's Standard Webhooks headers). */
  webhookSecret: string;
}

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
