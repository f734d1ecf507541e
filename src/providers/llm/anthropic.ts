/**
 * Anthropic's Messages API, streamed (https://docs.claude.com/en/docs/build-with-claude/streaming).
 *
 * The answer is SSE events whose data carries its own `type`: message_start (input usage), then per
 * content block a content_block_start, its content_block_delta events (text_delta for text,
 * input_json_delta pieces of a tool_use block's input JSON) and a content_block_stop; then
 * message_delta (stop_reason, output usage) and message_stop. `ping` may come anywhere, `error`
 * ends the stream (e.g. overloaded_error). Thinking blocks are skipped: their text is not the answer.
 */
import { ProviderError } from "../errors";
import { providerFetch } from "../http";
import type { AdapterOptions } from "./openai";
import { aborted, sseEvents } from "./sse";
import { regionOf, type AnthropicSettings } from "./settings";
import type { LanguageModel, LlmEvent, LlmMessage, LlmRequest, LlmZone } from "./types";
import {
  argumentsObject,
  BACKSTOP_TIMEOUT_MS,
  count,
  DEFAULT_MAX_OUTPUT_TOKENS,
  eventJson,
  isObject,
  notAStream,
  streamCut,
  streamError,
  systemText,
  type Json,
} from "./wire";

const PROVIDER = "anthropic";
export const ANTHROPIC_VERSION = "2023-06-01";

export class AnthropicModel implements LanguageModel {
  readonly name = PROVIDER;
  readonly region: string;
  readonly zone: LlmZone;
  readonly defaultModel: string;

  constructor(
    private readonly settings: AnthropicSettings,
    private readonly options: AdapterOptions = {},
  ) {
    this.region = regionOf(settings);
    this.zone = settings.zone;
    this.defaultModel = settings.model;
  }

  async *stream(request: LlmRequest, signal: AbortSignal): AsyncGenerator<LlmEvent, void, undefined> {
    const system = systemText(request.messages);
    const body = {
      model: request.model ?? this.settings.model,
      max_tokens: request.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS,
      ...(system ? { system } : {}),
      messages: anthropicMessages(request.messages),
      ...(request.tools.length
        ? {
            tools: request.tools.map((t) => ({ name: t.name, description: t.description, input_schema: t.parameters })),
          }
        : {}),
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
      stream: true,
    };
    const res = await providerFetch(
      `${this.settings.baseUrl}/v1/messages`,
      {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Accept: "text/event-stream",
          "x-api-key": this.settings.apiKey,
          "anthropic-version": ANTHROPIC_VERSION,
        },
        body: JSON.stringify(body),
      },
      { provider: PROVIDER, timeoutMs: BACKSTOP_TIMEOUT_MS, signal, fetcher: this.options.fetcher },
    );
    const wrong = notAStream(PROVIDER, res);
    if (wrong) {
      await res.body?.cancel();
      throw wrong;
    }
    yield* messageEvents(sseEvents(res, PROVIDER, signal), signal);
  }
}

/** Anthropic refuses tool ids outside [A-Za-z0-9_-] (another provider's, after a failover): made safe the same way. */
const safeId = (id: string) => id.replace(/[^A-Za-z0-9_-]/g, "_") || "tool";

/**
 * The conversation as Messages API turns: the system text goes apart (see stream), assistant tool
 * calls are tool_use blocks, tool results are tool_result blocks of a user turn (all of one step's
 * results in one turn, before any text, as the API requires). Consecutive turns of one role are
 * merged, and empty text blocks (which the API refuses) left out.
 */
export function anthropicMessages(messages: readonly LlmMessage[]): Json[] {
  const turns: { role: "user" | "assistant"; content: Json[] }[] = [];
  const add = (role: "user" | "assistant", blocks: Json[]) => {
    if (!blocks.length) return;
    const last = turns.at(-1);
    if (last?.role === role) last.content.push(...blocks);
    else turns.push({ role, content: blocks });
  };
  const text = (t: string): Json[] => (t.trim() ? [{ type: "text", text: t }] : []);
  for (const m of messages) {
    if (m.role === "user") add("user", text(m.content));
    else if (m.role === "assistant")
      add("assistant", [
        ...text(m.content),
        ...(m.toolCalls ?? []).map((c) => ({
          type: "tool_use",
          id: safeId(c.id),
          name: c.name,
          input: argumentsObject(c),
        })),
      ]);
    else if (m.role === "tool")
      add("user", [
        { type: "tool_result", tool_use_id: safeId(m.toolCallId), ...(m.content ? { content: m.content } : {}) },
      ]);
  }
  return turns;
}

const STOP: Record<string, "stop" | "length" | "tool_calls"> = {
  end_turn: "stop",
  stop_sequence: "stop",
  max_tokens: "length",
  model_context_window_exceeded: "length",
  tool_use: "tool_calls",
};

/** The HTTP status each documented error type stands for (https://docs.claude.com/en/api/errors). */
const ERROR_STATUS: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/** LlmEvents from Messages API events; complete only at message_stop. */
export async function* messageEvents(
  events: AsyncIterable<{ data: string }>,
  signal: AbortSignal,
): AsyncGenerator<LlmEvent, void, undefined> {
  /** The open tool_use blocks, by content block index: their id, name and input JSON so far. */
  const tools = new Map<number, { id: string; name: string; json: string[] }>();
  let inputTokens: number | undefined;
  let outputTokens: number | undefined;
  let stop: string | undefined;
  for await (const event of events) {
    const data = eventJson(PROVIDER, event.data);
    switch (data.type) {
      case "message_start": {
        const usage = isObject(data.message) && isObject(data.message.usage) ? data.message.usage : {};
        // Cached prompt tokens are input too (billed at another rate, but read by the model all the same).
        inputTokens =
          count(usage.input_tokens) + count(usage.cache_creation_input_tokens) + count(usage.cache_read_input_tokens);
        outputTokens = count(usage.output_tokens);
        break;
      }
      case "content_block_start": {
        const block = isObject(data.content_block) ? data.content_block : {};
        if (block.type === "tool_use" && typeof data.index === "number") {
          if (typeof block.id !== "string" || typeof block.name !== "string")
            throw new ProviderError(PROVIDER, "invalid_response", "a tool_use block came without its id or name");
          tools.set(data.index, { id: block.id, name: block.name, json: [] });
        } else if (block.type === "text" && typeof block.text === "string" && block.text) {
          yield { type: "text", text: block.text };
        }
        break;
      }
      case "content_block_delta": {
        const delta = isObject(data.delta) ? data.delta : {};
        if (delta.type === "text_delta" && typeof delta.text === "string" && delta.text)
          yield { type: "text", text: delta.text };
        else if (delta.type === "input_json_delta" && typeof delta.partial_json === "string")
          tools.get(typeof data.index === "number" ? data.index : -1)?.json.push(delta.partial_json);
        break;
      }
      case "content_block_stop": {
        const index = typeof data.index === "number" ? data.index : -1;
        const tool = tools.get(index);
        if (tool) {
          tools.delete(index);
          yield {
            type: "tool_call",
            call: { id: tool.id, name: tool.name, arguments: tool.json.join("").trim() || "{}" },
          };
        }
        break;
      }
      case "message_delta": {
        const delta = isObject(data.delta) ? data.delta : {};
        if (typeof delta.stop_reason === "string") stop = delta.stop_reason;
        // Cumulative counts: the last one is the answer's.
        if (isObject(data.usage)) {
          if (data.usage.output_tokens !== undefined) outputTokens = count(data.usage.output_tokens);
          if (typeof data.usage.input_tokens === "number") inputTokens = count(data.usage.input_tokens);
        }
        break;
      }
      case "message_stop": {
        const usage = inputTokens !== undefined ? { usage: { inputTokens, outputTokens: outputTokens ?? 0 } } : {};
        yield { type: "done", finishReason: stop === undefined ? "stop" : (STOP[stop] ?? "other"), ...usage };
        return;
      }
      case "error": {
        const error = isObject(data.error) ? data.error : {};
        const type = typeof error.type === "string" ? error.type : "error";
        const message = typeof error.message === "string" ? error.message : type;
        throw streamError(PROVIDER, ERROR_STATUS[type], `${type}: ${message}`);
      }
      // "ping", and event types added later: ignored, as Anthropic's versioning policy asks.
    }
  }
  if (signal.aborted) throw aborted(PROVIDER, signal);
  throw streamCut(PROVIDER, "message_stop");
}
