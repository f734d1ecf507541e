/**
 * What the language-model adapters share about their wire formats: reading one event's JSON,
 * turning a conversation's tool calls back into the objects providers want, and assembling tool
 * calls that arrive as deltas (OpenAI-compatible servers, Workers AI).
 */
import { kindForStatus, ProviderError } from "../errors";
import type { LlmMessage, LlmRequest, LlmToolCall, LlmUsage } from "./types";

/** Output tokens asked for when a request names no limit (Anthropic requires one): a spoken answer is short. */
export const DEFAULT_MAX_OUTPUT_TOKENS = 1024;

/**
 * The time limit given to the HTTP request under the stream. The real limits come with the
 * stream's signal (the first-token deadline and LLM_STREAM_TIMEOUT_MS, whose maximum this is):
 * this one only stops a stream that somebody started without them.
 */
export const BACKSTOP_TIMEOUT_MS = 300_000;

export type Json = Record<string, unknown>;

export const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** One event's data as a JSON object; anything else is an invalid_response quoting its start. */
export function eventJson(provider: string, data: string): Json {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    throw new ProviderError(provider, "invalid_response", `malformed event (not JSON): ${data.slice(0, 200)}`);
  }
  if (!isObject(value))
    throw new ProviderError(provider, "invalid_response", `malformed event (not an object): ${data.slice(0, 200)}`);
  return value;
}

/** A stream that ended cleanly but before the protocol's end marker. */
export function streamCut(provider: string, missing: string): ProviderError {
  return new ProviderError(provider, "invalid_response", `the stream ended before ${missing} (cut mid-way)`);
}

/**
 * An error a provider sent inside a 2xx stream, classified by the HTTP status it stands for
 * (unknown: a failure of the provider's, so retryable).
 */
export function streamError(provider: string, status: number | undefined, message: string): ProviderError {
  const kind = status === undefined ? "retryable" : kindForStatus(status);
  return new ProviderError(provider, kind, `error in the stream: ${message.slice(0, 300)}`, {
    ...(status !== undefined ? { status } : {}),
  });
}

/** The answer was not an event stream at all (a server that ignored `stream: true`, a proxy page). */
export function notAStream(provider: string, res: Response): ProviderError | undefined {
  const type = res.headers.get("Content-Type") ?? "";
  if (!type || /text\/event-stream/i.test(type)) return undefined;
  return new ProviderError(provider, "invalid_response", `expected an event stream, got ${type.slice(0, 100)}`);
}

/** Tools in the Chat Completions shape (`{type: "function", function}`), which Workers AI takes too; none: nothing. */
export function functionTools(tools: LlmRequest["tools"]): { tools?: unknown[] } {
  if (!tools.length) return {};
  const as = (t: LlmRequest["tools"][number]) => ({
    type: "function",
    function: { name: t.name, description: t.description, parameters: t.parameters },
  });
  return { tools: tools.map(as) };
}

/** The system messages of a conversation as one text, for providers that take it apart from the turns. */
export function systemText(messages: readonly LlmMessage[]): string | undefined {
  const parts = messages.filter((m) => m.role === "system").map((m) => m.content);
  return parts.length ? parts.join("\n\n") : undefined;
}

/**
 * A tool call's arguments as the object a provider wants back in the conversation (Anthropic's
 * `input`, Gemini's `args`). Arguments the model wrote that are not a JSON object (the agent loop
 * refused them) become `{}`: the call still happened, and its result says what was wrong.
 */
export function argumentsObject(call: LlmToolCall): Json {
  try {
    const value: unknown = JSON.parse(call.arguments);
    return isObject(value) ? value : {};
  } catch {
    return {};
  }
}

/** A tool call id for providers that send none (Gemini, some OpenAI-compatible servers). */
export function newCallId(prefix = "call"): string {
  return `${prefix}_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`;
}

/** A non-negative integer count from a provider's usage object, or 0. */
export function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? Math.round(value) : 0;
}

export function usageOf(input: unknown, output: unknown): LlmUsage | undefined {
  if (input === undefined && output === undefined) return undefined;
  return { inputTokens: count(input), outputTokens: count(output) };
}

/** One piece of a streamed tool call, in the OpenAI-compatible shape (every field optional). */
export interface ToolCallDelta {
  index?: unknown;
  id?: unknown;
  name?: unknown;
  /** A piece of the JSON text, or (Workers AI's native shape) the whole arguments as an object. */
  arguments?: unknown;
}

interface PendingCall {
  id: string | undefined;
  name: string;
  args: string[];
}

/**
 * Tool calls assembled from deltas: the first delta of a call carries its id and name, later ones
 * pieces of its arguments, all under the call's `index`. Calls are complete when the answer
 * finishes (`finish()`): servers may interleave the deltas of parallel calls. A delta with no
 * index is a whole call of its own (Workers AI's native `{name, arguments}`); a new id at an index
 * already in use starts a new call (Ollama numbers parallel calls 0 each); a delta with neither id,
 * name nor arguments is a closing marker (Workers AI) and ignored.
 */
export class ToolCallAssembler {
  private readonly calls: PendingCall[] = [];
  private readonly byIndex = new Map<number, PendingCall>();

  constructor(private readonly provider: string) {}

  get size(): number {
    return this.calls.length;
  }

  add(delta: ToolCallDelta): void {
    const id = typeof delta.id === "string" && delta.id ? delta.id : undefined;
    const name = typeof delta.name === "string" ? delta.name : "";
    const args =
      typeof delta.arguments === "string"
        ? delta.arguments
        : isObject(delta.arguments)
          ? JSON.stringify(delta.arguments)
          : "";
    if (!id && !name && !args) return;
    const index = typeof delta.index === "number" ? delta.index : undefined;
    let call = index === undefined ? undefined : this.byIndex.get(index);
    if (call && id && call.id && id !== call.id) call = undefined;
    if (!call) {
      call = { id, name: "", args: [] };
      this.calls.push(call);
      if (index !== undefined) this.byIndex.set(index, call);
    }
    call.id ??= id;
    // The name comes whole in the call's first delta; some servers repeat it in later ones.
    if (name && !call.name) call.name = name;
    if (args) call.args.push(args);
  }

  /** The calls, complete, in the order they started. */
  finish(): LlmToolCall[] {
    return this.calls.map((c) => {
      if (!c.name) throw new ProviderError(this.provider, "invalid_response", "a tool call came without a name");
      const args = c.args.join("").trim();
      return { id: c.id ?? newCallId(), name: c.name, arguments: args || "{}" };
    });
  }
}
