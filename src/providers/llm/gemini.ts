/**
 * The Gemini API, streamed: POST /v1beta/models/{model}:streamGenerateContent?alt=sse
 * (https://ai.google.dev/api/generate-content#method:-models.streamgeneratecontent).
 *
 * Each SSE event's data is a whole GenerateContentResponse: `candidates[0].content.parts` with
 * `text` pieces or complete `functionCall`s ({name, args}, an `id` only on some models),
 * `finishReason` on the last one, `usageMetadata` on the last one at least. There is no end
 * marker: the answer is complete once a finishReason came. Tools are `functionDeclarations` with
 * `parametersJsonSchema` (JSON Schema as the agent wrote it, not the OpenAPI subset `parameters`
 * takes); tool results go back as `functionResponse` parts of a user turn.
 */
import { ProviderError } from "../errors";
import { providerFetch } from "../http";
import type { AdapterOptions } from "./openai";
import { aborted, sseEvents } from "./sse";
import { regionOf, type GeminiSettings } from "./settings";
import type { LanguageModel, LlmEvent, LlmMessage, LlmRequest, LlmZone } from "./types";
import {
  argumentsObject,
  BACKSTOP_TIMEOUT_MS,
  count,
  eventJson,
  isObject,
  newCallId,
  notAStream,
  streamCut,
  streamError,
  systemText,
  type Json,
} from "./wire";

const PROVIDER = "google";

/**
 * Gemini 3 and later refuse a replayed functionCall part without the thoughtSignature it came with
 * (https://ai.google.dev/gemini-api/docs/thought-signatures). The conversation keeps no signatures
 * (LlmToolCall has no field for them, and another provider may have made the call), so replayed
 * calls carry the value Google documents for calls it did not sign.
 */
export const UNSIGNED_CALL = "skip_thought_signature_validator";
/** Models before Gemini 3 neither need the signature nor are promised to accept the placeholder. */
const UNSIGNED_OK = /^gemini-(1|2)(\.|-|$)/;

export class GeminiModel implements LanguageModel {
  readonly name = PROVIDER;
  readonly region: string;
  readonly zone: LlmZone;
  readonly defaultModel: string;

  constructor(
    private readonly settings: GeminiSettings,
    private readonly options: AdapterOptions = {},
  ) {
    this.region = regionOf(settings);
    this.zone = settings.zone;
    this.defaultModel = settings.model;
  }

  async *stream(request: LlmRequest, signal: AbortSignal): AsyncGenerator<LlmEvent, void, undefined> {
    const model = (request.model ?? this.settings.model).replace(/^models\//, "");
    const system = systemText(request.messages);
    const generationConfig = {
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
      ...(request.maxOutputTokens !== undefined ? { maxOutputTokens: request.maxOutputTokens } : {}),
    };
    const body = {
      contents: geminiContents(request.messages, !UNSIGNED_OK.test(model)),
      ...(system ? { systemInstruction: { parts: [{ text: system }] } } : {}),
      ...(request.tools.length
        ? {
            tools: [
              {
                functionDeclarations: request.tools.map((t) => ({
                  name: t.name,
                  description: t.description,
                  parametersJsonSchema: t.parameters,
                })),
              },
            ],
          }
        : {}),
      ...(Object.keys(generationConfig).length ? { generationConfig } : {}),
    };
    const url = `${this.settings.baseUrl}/v1beta/models/${encodeURIComponent(model)}:streamGenerateContent?alt=sse`;
    const res = await providerFetch(
      url,
      {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Accept: "text/event-stream",
          "x-goog-api-key": this.settings.apiKey,
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
    yield* generateContentEvents(sseEvents(res, PROVIDER, signal), signal);
  }
}

/**
 * The conversation as Gemini `contents`: roles user and model, tool calls as functionCall parts
 * (the first of a turn with the placeholder signature when `signCalls`), tool results as
 * functionResponse parts of a user turn. A result that is a JSON object goes as it is; anything
 * else under `output`, the key Google's docs use. Consecutive turns of one role are merged.
 */
export function geminiContents(messages: readonly LlmMessage[], signCalls: boolean): Json[] {
  const turns: { role: "user" | "model"; parts: Json[] }[] = [];
  const add = (role: "user" | "model", parts: Json[]) => {
    if (!parts.length) return;
    const last = turns.at(-1);
    if (last?.role === role) last.parts.push(...parts);
    else turns.push({ role, parts });
  };
  const text = (t: string): Json[] => (t ? [{ text: t }] : []);
  for (const m of messages) {
    if (m.role === "user") add("user", text(m.content));
    else if (m.role === "assistant") {
      const calls = (m.toolCalls ?? []).map((c, i): Json => ({
        functionCall: { id: c.id, name: c.name, args: argumentsObject(c) },
        ...(signCalls && i === 0 ? { thoughtSignature: UNSIGNED_CALL } : {}),
      }));
      add("model", [...text(m.content), ...calls]);
    } else if (m.role === "tool") {
      add("user", [{ functionResponse: { id: m.toolCallId, name: m.name, response: responseObject(m.content) } }]);
    }
  }
  return turns;
}

function responseObject(content: string): Json {
  try {
    const value: unknown = JSON.parse(content);
    return isObject(value) ? value : { output: value };
  } catch {
    return { output: content };
  }
}

/** How each documented finishReason reads; STOP means "tool_calls" when the answer called tools. */
const FINISH: Record<string, "stop" | "length"> = { STOP: "stop", MAX_TOKENS: "length" };

/** HTTP status of an `{"error": {"code", "status", "message"}}` chunk, by code or gRPC status name. */
const STATUS_CODES: Record<string, number> = {
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  RESOURCE_EXHAUSTED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
};

/** LlmEvents from GenerateContentResponse chunks. */
export async function* generateContentEvents(
  events: AsyncIterable<{ data: string }>,
  signal: AbortSignal,
): AsyncGenerator<LlmEvent, void, undefined> {
  let finish: string | undefined;
  let calls = 0;
  let usage: { inputTokens: number; outputTokens: number } | undefined;
  for await (const event of events) {
    const chunk = eventJson(PROVIDER, event.data);
    if (isObject(chunk.error)) {
      const e = chunk.error;
      const status = typeof e.code === "number" ? e.code : STATUS_CODES[String(e.status)];
      throw streamError(PROVIDER, status, typeof e.message === "string" ? e.message : JSON.stringify(e));
    }
    if (isObject(chunk.usageMetadata)) {
      const u = chunk.usageMetadata;
      // Thinking tokens are output the model produced (and is billed for), though never shown.
      usage = {
        inputTokens: count(u.promptTokenCount),
        outputTokens: count(u.candidatesTokenCount) + count(u.thoughtsTokenCount),
      };
    }
    const candidate: unknown = Array.isArray(chunk.candidates) ? chunk.candidates[0] : undefined;
    if (!isObject(candidate)) {
      // A prompt refused outright (promptFeedback.blockReason) has no candidate and no finishReason.
      if (isObject(chunk.promptFeedback) && typeof chunk.promptFeedback.blockReason === "string")
        finish = chunk.promptFeedback.blockReason;
      continue;
    }
    const parts = isObject(candidate.content) && Array.isArray(candidate.content.parts) ? candidate.content.parts : [];
    for (const part of parts) {
      if (!isObject(part) || part.thought === true) continue;
      if (typeof part.text === "string" && part.text) yield { type: "text", text: part.text };
      if (isObject(part.functionCall)) {
        const fc = part.functionCall;
        if (typeof fc.name !== "string" || !fc.name)
          throw new ProviderError(PROVIDER, "invalid_response", "a functionCall came without a name");
        const id = typeof fc.id === "string" && fc.id ? fc.id : newCallId();
        calls++;
        yield {
          type: "tool_call",
          call: { id, name: fc.name, arguments: JSON.stringify(isObject(fc.args) ? fc.args : {}) },
        };
      }
    }
    if (typeof candidate.finishReason === "string" && candidate.finishReason) finish = candidate.finishReason;
  }
  if (signal.aborted) throw aborted(PROVIDER, signal);
  if (finish === undefined) throw streamCut(PROVIDER, "a finishReason");
  const finishReason = finish === "STOP" && calls ? "tool_calls" : (FINISH[finish] ?? "other");
  yield { type: "done", finishReason, ...(usage ? { usage } : {}) };
}
