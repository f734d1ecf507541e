/**
 * Any OpenAI-compatible Chat Completions server, streamed
 * (https://platform.openai.com/docs/api-reference/chat/create, stream: true): OpenAI, Azure OpenAI
 * (v1 API), Groq, Together, Fireworks, Mistral, vLLM, Ollama, llama.cpp.
 *
 * The answer is SSE `data:` chunks `{"choices":[{"index":0,"delta":{...},"finish_reason":...}]}`,
 * then (with stream_options.include_usage) one chunk with `"choices":[]` and `usage`, then
 * `data: [DONE]`. A tool call streams under its `index`: its id and name first, its `arguments`
 * JSON in pieces after.
 */
import { providerFetch } from "../http";
import { reclassify } from "../openai/errors";
import { aborted, sseEvents } from "./sse";
import { AZURE_OPENAI_HOST, regionOf, type OpenAiLlmSettings } from "./settings";
import type { LanguageModel, LlmEvent, LlmMessage, LlmRequest, LlmUsage, LlmZone } from "./types";
import {
  BACKSTOP_TIMEOUT_MS,
  eventJson,
  isObject,
  notAStream,
  streamCut,
  streamError,
  ToolCallAssembler,
  usageOf,
  functionTools,
  type Json,
} from "./wire";

const PROVIDER = "openai";

export interface AdapterOptions {
  /** Injected in tests; default the global fetch. */
  fetcher?: typeof fetch | undefined;
}

export class OpenAiChatModel implements LanguageModel {
  readonly name = PROVIDER;
  readonly region: string;
  readonly zone: LlmZone;
  readonly defaultModel: string;
  private readonly host: string;

  constructor(
    private readonly settings: OpenAiLlmSettings,
    private readonly options: AdapterOptions = {},
  ) {
    this.region = regionOf(settings);
    this.zone = settings.zone;
    this.defaultModel = settings.model;
    this.host = new URL(settings.baseUrl).hostname.toLowerCase();
  }

  async *stream(request: LlmRequest, signal: AbortSignal): AsyncGenerator<LlmEvent, void, undefined> {
    const res = await providerFetch(
      `${this.settings.baseUrl}/v1/chat/completions`,
      {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "text/event-stream", ...this.authHeaders() },
        body: JSON.stringify(this.body(request)),
      },
      { provider: PROVIDER, timeoutMs: BACKSTOP_TIMEOUT_MS, signal, fetcher: this.options.fetcher },
    ).catch(reclassify);
    const wrong = notAStream(PROVIDER, res);
    if (wrong) {
      await res.body?.cancel();
      throw wrong;
    }
    yield* chatCompletionEvents(PROVIDER, sseEvents(res, PROVIDER, signal), signal);
  }

  /** Azure OpenAI takes its key as `api-key`; everyone else as a bearer token. */
  private authHeaders(): Record<string, string> {
    const key = this.settings.apiKey;
    if (!key) return {};
    return AZURE_OPENAI_HOST.test(this.host) ? { "api-key": key } : { Authorization: `Bearer ${key}` };
  }

  private body(request: LlmRequest): Json {
    // OpenAI and Azure deprecated max_tokens (reasoning models refuse it); other servers know only max_tokens.
    const ownApi = this.host === "api.openai.com" || AZURE_OPENAI_HOST.test(this.host);
    return {
      model: request.model ?? this.settings.model,
      messages: chatMessages(request.messages),
      ...functionTools(request.tools),
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
      ...(request.maxOutputTokens !== undefined
        ? { [ownApi ? "max_completion_tokens" : "max_tokens"]: request.maxOutputTokens }
        : {}),
      stream: true,
      stream_options: { include_usage: true },
    };
  }
}

/** The conversation in Chat Completions' message shapes. */
export function chatMessages(messages: readonly LlmMessage[]): Json[] {
  return messages.map((m): Json => {
    switch (m.role) {
      case "system":
      case "user":
        return { role: m.role, content: m.content };
      case "assistant":
        if (!m.toolCalls?.length) return { role: "assistant", content: m.content };
        return {
          role: "assistant",
          content: m.content || null,
          tool_calls: m.toolCalls.map((c) => ({
            id: c.id,
            type: "function",
            function: { name: c.name, arguments: c.arguments },
          })),
        };
      case "tool":
        return { role: "tool", tool_call_id: m.toolCallId, content: m.content };
    }
  });
}

const FINISH: Record<string, "stop" | "length" | "tool_calls"> = {
  stop: "stop",
  length: "length",
  tool_calls: "tool_calls",
  function_call: "tool_calls",
};

/**
 * LlmEvents from Chat Completions chunks (shared with Workers AI's OpenAI-shaped models). The
 * answer is complete at `[DONE]`, or, for servers that omit it, once a finish_reason came before
 * the stream ended; anything shorter was cut.
 */
export async function* chatCompletionEvents(
  provider: string,
  events: AsyncIterable<{ data: string }>,
  signal: AbortSignal,
): AsyncGenerator<LlmEvent, void, undefined> {
  const calls = new ToolCallAssembler(provider);
  let finish: string | undefined;
  let usage: LlmUsage | undefined;
  let done = false;
  for await (const event of events) {
    if (event.data.trim() === "[DONE]") {
      done = true;
      break;
    }
    const chunk = eventJson(provider, event.data);
    if (chunk.error !== undefined && chunk.error !== null) throw errorChunk(provider, chunk.error);
    if (isObject(chunk.usage)) usage = usageOf(chunk.usage.prompt_tokens, chunk.usage.completion_tokens);
    const choices = Array.isArray(chunk.choices) ? chunk.choices : [];
    // One answer was asked for (no `n`): choice 0.
    const choice: unknown = choices.find((c) => isObject(c) && (c.index ?? 0) === 0);
    if (!isObject(choice)) continue;
    const delta = isObject(choice.delta) ? choice.delta : {};
    if (typeof delta.content === "string" && delta.content) yield { type: "text", text: delta.content };
    if (Array.isArray(delta.tool_calls)) {
      for (const d of delta.tool_calls) {
        if (!isObject(d)) continue;
        const fn = isObject(d.function) ? d.function : {};
        calls.add({ index: d.index, id: d.id, name: fn.name, arguments: fn.arguments });
      }
    }
    if (typeof choice.finish_reason === "string" && choice.finish_reason) finish = choice.finish_reason;
  }
  if (signal.aborted) throw aborted(provider, signal);
  if (!done && finish === undefined) throw streamCut(provider, "[DONE]");
  for (const call of calls.finish()) yield { type: "tool_call", call };
  const finishReason = finish === undefined ? (calls.size ? "tool_calls" : "stop") : (FINISH[finish] ?? "other");
  yield { type: "done", finishReason, ...(usage ? { usage } : {}) };
}

/** `{"error": {"message", "type", "code"}}` inside the stream (OpenAI, vLLM and others send it mid-answer). */
function errorChunk(provider: string, error: unknown) {
  const e = isObject(error) ? error : { message: String(error) };
  const message = typeof e.message === "string" ? e.message : JSON.stringify(e);
  const code = `${String(e.type ?? "")} ${String(e.code ?? "")}`;
  const status =
    typeof e.code === "number"
      ? e.code
      : /rate_limit/.test(code)
        ? 429
        : /invalid_request|context_length|not_found/.test(code)
          ? 400
          : undefined;
  return streamError(provider, status, message);
}
