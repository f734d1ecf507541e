/**
 * Workers AI text generation through the `AI` binding
 * (https://developers.cloudflare.com/workers-ai/models/ and .../features/function-calling/):
 * `env.AI.run(model, { messages, tools, stream: true })` answers a ReadableStream of SSE chunks
 * `data: {"response": "..."}`, the last with `usage`, then `data: [DONE]`. Tool calls come in
 * `tool_calls`: whole (`{name, arguments: {...}}`) from some models, as OpenAI-style deltas from
 * others; models served through the OpenAI-compatible path answer `choices[0].delta` chunks
 * instead. All of those shapes are read here. A model that answers without streaming (an object)
 * is read too, as a stream of one chunk.
 */
import { untilAborted } from "../../lib/abortable";
import { ProviderError } from "../errors";
import type { AiRunner } from "../workers-ai/settings";
import { classifyBindingError } from "../workers-ai/errors";
import { chatMessages } from "./openai";
import { aborted, sseEvents } from "./sse";
import type { WorkersAiLlmSettings } from "./settings";
import type { LanguageModel, LlmEvent, LlmMessage, LlmRequest, LlmUsage, LlmZone } from "./types";
import {
  eventJson,
  functionTools,
  isObject,
  streamCut,
  streamError,
  ToolCallAssembler,
  usageOf,
  type Json,
} from "./wire";

const PROVIDER = "workers-ai";

/** The binding's region: Cloudflare picks the data centre, so there is one endpoint. */
export const WORKERS_AI_LLM_REGION = "cloudflare";

export class WorkersAiChatModel implements LanguageModel {
  readonly name = PROVIDER;
  readonly region = WORKERS_AI_LLM_REGION;
  readonly zone: LlmZone;
  readonly defaultModel: string;
  private readonly ai: AiRunner;

  constructor(settings: WorkersAiLlmSettings) {
    this.ai = settings.ai;
    this.zone = settings.zone;
    this.defaultModel = settings.model;
  }

  async *stream(request: LlmRequest, signal: AbortSignal): AsyncGenerator<LlmEvent, void, undefined> {
    const model = request.model ?? this.defaultModel;
    const inputs = {
      messages: workersAiMessages(request.messages),
      ...functionTools(request.tools),
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
      ...(request.maxOutputTokens !== undefined ? { max_tokens: request.maxOutputTokens } : {}),
      stream: true,
    };
    let output: unknown;
    try {
      signal.throwIfAborted();
      // Raced against the signal as well: a binding call may not stop the moment it is asked to.
      output = await untilAborted(this.ai.run(model, inputs, { signal }), signal);
    } catch (err) {
      if (signal.aborted) throw aborted(PROVIDER, signal);
      throw classifyBindingError(err);
    }
    const events: AsyncIterable<{ data: string }> =
      output instanceof ReadableStream
        ? sseEvents(output as ReadableStream<Uint8Array>, PROVIDER, signal)
        : wholeAnswer(output);
    yield* workersAiEvents(events, signal);
  }
}

/** A non-streamed answer as the chunks a stream of it would have had. */
async function* wholeAnswer(output: unknown): AsyncGenerator<{ data: string }, void, undefined> {
  if (typeof output === "string") {
    yield { data: JSON.stringify({ response: output }) };
  } else if (isObject(output)) {
    yield { data: JSON.stringify(output) };
  } else {
    throw new ProviderError(PROVIDER, "invalid_response", `unexpected answer of type ${typeof output}`);
  }
  yield { data: "[DONE]" };
}

/**
 * The conversation in the shape Workers AI's chat models take: OpenAI's, with each assistant tool
 * call also written out as the model's own `{"name", "parameters"}` text when the turn has no text
 * (Llama's chat template reads content, not tool_calls, on some models), and tool results naming
 * their tool.
 */
export function workersAiMessages(messages: readonly LlmMessage[]): Json[] {
  const shaped = chatMessages(messages);
  return shaped.map((m, i) => {
    const source = messages[i]!;
    if (source.role === "assistant" && source.toolCalls?.length && !source.content) {
      const written = source.toolCalls.map((c) => JSON.stringify({ name: c.name, parameters: safeParse(c.arguments) }));
      return { ...m, content: written.join("\n") };
    }
    if (source.role === "tool") return { ...m, name: source.name };
    return m;
  });
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
}

const FINISH: Record<string, "stop" | "length" | "tool_calls"> = {
  stop: "stop",
  length: "length",
  tool_calls: "tool_calls",
};

/** LlmEvents from Workers AI chunks, native or OpenAI-shaped; complete at [DONE] or after a finish_reason. */
export async function* workersAiEvents(
  events: AsyncIterable<{ data: string }>,
  signal: AbortSignal,
): AsyncGenerator<LlmEvent, void, undefined> {
  const calls = new ToolCallAssembler(PROVIDER);
  let finish: string | undefined;
  let usage: LlmUsage | undefined;
  let done = false;
  const addCalls = (list: unknown) => {
    if (!Array.isArray(list)) return;
    for (const d of list) {
      if (!isObject(d)) continue;
      const fn = isObject(d.function) ? d.function : {};
      calls.add({ index: d.index, id: d.id, name: fn.name ?? d.name, arguments: fn.arguments ?? d.arguments });
    }
  };
  for await (const event of events) {
    if (event.data.trim() === "[DONE]") {
      done = true;
      break;
    }
    const chunk = eventJson(PROVIDER, event.data);
    if (chunk.error !== undefined && chunk.error !== null) {
      const e = isObject(chunk.error) ? chunk.error : { message: String(chunk.error) };
      throw streamError(PROVIDER, undefined, typeof e.message === "string" ? e.message : JSON.stringify(e));
    }
    if (isObject(chunk.usage)) usage = usageOf(chunk.usage.prompt_tokens, chunk.usage.completion_tokens);
    // Native: {"response": "...", "tool_calls": [...]}; a JSON object in `response` is JSON-mode output.
    if (typeof chunk.response === "string" && chunk.response) yield { type: "text", text: chunk.response };
    addCalls(chunk.tool_calls);
    if (typeof chunk.finish_reason === "string" && chunk.finish_reason) finish = chunk.finish_reason;
    // OpenAI-shaped: {"choices": [{"delta": {"content", "tool_calls"}, "finish_reason"}]}
    const choice: unknown = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined;
    if (isObject(choice)) {
      const delta = isObject(choice.delta) ? choice.delta : {};
      if (typeof delta.content === "string" && delta.content) yield { type: "text", text: delta.content };
      addCalls(delta.tool_calls);
      if (typeof choice.finish_reason === "string" && choice.finish_reason) finish = choice.finish_reason;
    }
  }
  if (signal.aborted) throw aborted(PROVIDER, signal);
  if (!done && finish === undefined) throw streamCut(PROVIDER, "[DONE]");
  for (const call of calls.finish()) yield { type: "tool_call", call };
  const finishReason = calls.size ? "tool_calls" : finish === undefined ? "stop" : (FINISH[finish] ?? "other");
  yield { type: "done", finishReason, ...(usage ? { usage } : {}) };
}
