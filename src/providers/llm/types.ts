/**
 * The one interface every language-model adapter implements (src/providers/llm/<provider>.ts):
 * a streamed answer to a conversation with tools, on the provider's own wire format. The agent
 * loop (src/agents/) and the routing layer's failover see only this.
 */

/** Where an endpoint may process a call's words: an EU-resident call only uses "eu" endpoints. */
export type LlmZone = "eu" | "us" | "other";

export interface LlmToolCall {
  /** The provider's id for this call (OpenAI `call_…`, Anthropic `toolu_…`; generated where a provider has none). */
  id: string;
  name: string;
  /** The arguments as the model wrote them: JSON text, not yet parsed or validated. */
  arguments: string;
}

export type LlmMessage =
  | { role: "system"; content: string }
  | { role: "user"; content: string }
  | { role: "assistant"; content: string; toolCalls?: LlmToolCall[] }
  | { role: "tool"; toolCallId: string; name: string; content: string };

export interface LlmToolSpec {
  name: string;
  description: string;
  /** JSON Schema of an object. */
  parameters: Record<string, unknown>;
}

export interface LlmRequest {
  /** The agent's model; absent: the provider's configured default. */
  model?: string | undefined;
  messages: LlmMessage[];
  tools: LlmToolSpec[];
  temperature?: number | undefined;
  maxOutputTokens?: number | undefined;
}

export interface LlmUsage {
  inputTokens: number;
  outputTokens: number;
}

/**
 * What a stream yields, in order: text pieces as they arrive, each tool call once it is complete
 * (assembled from the provider's deltas), then exactly one `done`. A stream that ends without
 * `done` (cut mid-way) throws a ProviderError instead.
 */
export type LlmEvent =
  | { type: "text"; text: string }
  | { type: "tool_call"; call: LlmToolCall }
  | { type: "done"; finishReason: "stop" | "tool_calls" | "length" | "other"; usage?: LlmUsage };

export interface LanguageModel {
  /** The name in LLM_PROVIDERS ("openai", "anthropic", "google", "workers-ai"). */
  readonly name: string;
  /** The endpoint's id (a host, or "cloudflare" for the binding): its own breaker and place in failover. */
  readonly region: string;
  readonly zone: LlmZone;
  /** The model used when a request names none. */
  readonly defaultModel: string;
  /**
   * Streams one answer. Failures before or during the stream throw ProviderError (providers/errors.ts),
   * classified: 429/5xx/network "retryable" (with retryAfterMs from Retry-After), 401/403 "auth",
   * other 4xx "permanent", malformed events or a cut stream "invalid_response". `signal` aborts the
   * HTTP request and the stream.
   */
  stream(request: LlmRequest, signal: AbortSignal): AsyncIterable<LlmEvent>;
}
