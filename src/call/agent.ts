/**
 * An agent's plain data, as a tenant defines it (PUT /api/v1/agents/{agentId}; the contract's
 * "Agents" section) after validation by src/agents/definition.ts, and as a call pins it. It lives
 * here, below every layer, because both the D1 agent store (storage/agent-store.ts) and the call's
 * object (storage/call-store.ts) keep it and storage/ may not import agents/; src/agents/types.ts
 * re-exports it for the agent code.
 */

/** The model providers an agent may name (LLM_PROVIDERS' names). */
export const AGENT_LLM_PROVIDERS = ["openai", "anthropic", "google", "workers-ai"] as const;
export type AgentLlmProvider = (typeof AGENT_LLM_PROVIDERS)[number];

export interface AgentDefinition {
  name?: string | undefined;
  /** The model's instructions (system prompt); absent only when `flow` drives the call. */
  instructions?: string | undefined;
  /** A flow in the built-in engine's format (nlp/flow-schema.ts), instead of a model. */
  flow?: unknown;
  greeting?: string | undefined;
  /** What the caller hears when no model answers (a default line when absent). */
  fallback?: string | undefined;
  llm?:
    | { provider?: AgentLlmProvider | undefined; model?: string; temperature?: number; maxOutputTokens?: number }
    | undefined;
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

/** Which version of which agent drives a call (its SessionRecord and GET /calls/{callId} show it). */
export interface AgentRef {
  agentId: string;
  version: number;
}

/**
 * The version of an agent a call started with, as the call's object keeps it (CallStore.agent()):
 * editing or deleting the agent never changes a call that has started.
 */
export interface PinnedAgent extends AgentRef {
  definition: AgentDefinition;
  /** `whsec_…`: signs the agent's webhook tool calls (the contract's Standard Webhooks headers). */
  webhookSecret: string;
}
