import { describe, expect, it } from "vitest";
import { fakeFetch, jsonResponse } from "../../../test/helpers/outbound";
import { OpenAiChatModel } from "./openai";
import { openAiLlmSettingsSchema } from "./settings";
import {
  byteStream,
  collect,
  jsonEvents,
  live,
  REQUEST,
  sseResponse,
  sseText,
  streamFailure,
  textOf,
} from "./test-support";

const KEY = "sk-llm-test-0123456789abcdef";
const model = (fetcher: typeof fetch, vars: Record<string, string> = {}) =>
  new OpenAiChatModel(openAiLlmSettingsSchema.parse({ OPENAI_LLM_API_KEY: KEY, ...vars }), { fetcher });

/** Chunks as api.openai.com streams them (https://platform.openai.com/docs/api-reference/chat-streaming). */
const chunk = (delta: object, finish: string | null = null) => ({
  id: "chatcmpl-123",
  object: "chat.completion.chunk",
  created: 1694268190,
  model: "gpt-4o-mini-2024-07-18",
  system_fingerprint: "fp_44709d6fcb",
  choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  usage: null,
});
const usageChunk = {
  id: "chatcmpl-123",
  object: "chat.completion.chunk",
  created: 1694268190,
  model: "gpt-4o-mini-2024-07-18",
  choices: [],
  usage: { prompt_tokens: 41, completion_tokens: 7, total_tokens: 48 },
};

const TEXT_ANSWER = sseText([
  ...jsonEvents(
    chunk({ role: "assistant", content: "", refusal: null }),
    chunk({ content: "Your balance" }),
    chunk({ content: " is 100 €." }),
    chunk({}, "stop"),
    usageChunk,
  ),
  "[DONE]",
]);

const toolDelta = (d: object) => chunk({ tool_calls: [d] });
const TOOL_ANSWER = sseText([
  ...jsonEvents(
    chunk({ role: "assistant", content: null, tool_calls: [] }),
    toolDelta({ index: 0, id: "call_abc", type: "function", function: { name: "get_balance", arguments: "" } }),
    toolDelta({ index: 0, function: { arguments: '{"acc' } }),
    toolDelta({ index: 0, function: { arguments: 'ount": "1' } }),
    toolDelta({ index: 0, function: { arguments: '23"}' } }),
    toolDelta({ index: 1, id: "call_def", type: "function", function: { name: "end_call", arguments: "" } }),
    chunk({}, "tool_calls"),
    usageChunk,
  ),
  "[DONE]",
]);

describe("OpenAI-compatible Chat Completions adapter", () => {
  it("streams text pieces, then done with the usage", async () => {
    const { fetcher } = fakeFetch(sseResponse(TEXT_ANSWER));
    const events = await collect(model(fetcher).stream(REQUEST, live()));
    expect(events).toEqual([
      { type: "text", text: "Your balance" },
      { type: "text", text: " is 100 €." },
      { type: "done", finishReason: "stop", usage: { inputTokens: 41, outputTokens: 7 } },
    ]);
  });

  it("sends the documented request: messages, tools as functions, stream with usage, bearer key", async () => {
    const { fetcher, requests } = fakeFetch(sseResponse(TEXT_ANSWER));
    await collect(model(fetcher).stream(REQUEST, live()));
    const req = requests[0]!;
    expect(req.method).toBe("POST");
    expect(req.url.href).toBe("https://api.openai.com/v1/chat/completions");
    expect(req.headers.get("Authorization")).toBe(`Bearer ${KEY}`);
    expect(req.json()).toEqual({
      model: "gpt-4o-mini",
      messages: [
        { role: "system", content: "You are the bank's voice agent." },
        { role: "assistant", content: "Hello, how can I help?" },
        { role: "user", content: "What is the balance of account 123?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [
            { id: "call_1", type: "function", function: { name: "get_balance", arguments: '{"account":"123"}' } },
          ],
        },
        { role: "tool", tool_call_id: "call_1", content: '{"balance":100}' },
      ],
      tools: [{ type: "function", function: REQUEST.tools[0] }],
      temperature: 0.3,
      max_completion_tokens: 200,
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it("assembles tool calls whose arguments arrive in pieces, in order, with finish tool_calls", async () => {
    const { fetcher } = fakeFetch(sseResponse(TOOL_ANSWER));
    const events = await collect(model(fetcher).stream({ ...REQUEST, model: "gpt-4.1" }, live()));
    expect(events).toEqual([
      { type: "tool_call", call: { id: "call_abc", name: "get_balance", arguments: '{"account": "123"}' } },
      { type: "tool_call", call: { id: "call_def", name: "end_call", arguments: "{}" } },
      { type: "done", finishReason: "tool_calls", usage: { inputTokens: 41, outputTokens: 7 } },
    ]);
  });

  it("tells parallel calls apart when a server numbers them all 0 (Ollama), and names calls without ids", async () => {
    const body = sseText([
      ...jsonEvents(
        toolDelta({ index: 0, id: "a", function: { name: "one", arguments: '{"x":1}' } }),
        toolDelta({ index: 0, id: "b", function: { name: "two", arguments: '{"y":2}' } }),
        toolDelta({ index: 1, function: { name: "three", arguments: "{}" } }),
        chunk({}, "tool_calls"),
      ),
      "[DONE]",
    ]);
    const { fetcher } = fakeFetch(sseResponse(body));
    const calls = (await collect(model(fetcher).stream(REQUEST, live()))).filter((e) => e.type === "tool_call");
    expect(calls.map((e) => e.type === "tool_call" && [e.call.name, e.call.arguments])).toEqual([
      ["one", '{"x":1}'],
      ["two", '{"y":2}'],
      ["three", "{}"],
    ]);
    const third = calls[2]!;
    expect(third.type === "tool_call" && third.call.id).toMatch(/^call_[0-9a-f]{24}$/);
  });

  it("reads local servers over http with no key (Ollama), sending max_tokens and no Authorization", async () => {
    const { fetcher, requests } = fakeFetch(sseResponse(TEXT_ANSWER));
    const ollama = new OpenAiChatModel(
      openAiLlmSettingsSchema.parse({ OPENAI_LLM_BASE_URL: "http://localhost:11434/v1", OPENAI_LLM_MODEL: "llama3.2" }),
      { fetcher },
    );
    expect([ollama.region, ollama.zone, ollama.defaultModel]).toEqual(["localhost:11434", "other", "llama3.2"]);
    expect(textOf(await collect(ollama.stream(REQUEST, live())))).toBe("Your balance is 100 €.");
    expect(requests[0]!.url.href).toBe("http://localhost:11434/v1/chat/completions");
    expect(requests[0]!.headers.has("Authorization")).toBe(false);
    expect(requests[0]!.json()).toMatchObject({ model: "llama3.2", max_tokens: 200 });
  });

  it("sends Azure OpenAI its key as api-key", async () => {
    const { fetcher, requests } = fakeFetch(sseResponse(TEXT_ANSWER));
    const azure = model(fetcher, { OPENAI_LLM_BASE_URL: "https://contoso.openai.azure.com/openai/v1" });
    await collect(azure.stream(REQUEST, live()));
    expect(requests[0]!.url.href).toBe("https://contoso.openai.azure.com/openai/v1/chat/completions");
    expect(requests[0]!.headers.get("api-key")).toBe(KEY);
    expect(requests[0]!.headers.has("Authorization")).toBe(false);
  });

  it("ends without [DONE] when a finish_reason came (servers that omit it)", async () => {
    const body = sseText(jsonEvents(chunk({ content: "Hi" }), chunk({}, "length")));
    const { fetcher } = fakeFetch(sseResponse(body));
    expect((await collect(model(fetcher).stream(REQUEST, live()))).at(-1)).toEqual({
      type: "done",
      finishReason: "length",
    });
  });

  it("reports a stream cut between events as invalid_response", async () => {
    const body = sseText(jsonEvents(chunk({ content: "Your bal" })));
    const { fetcher } = fakeFetch(sseResponse(body));
    const err = await streamFailure(model(fetcher).stream(REQUEST, live()));
    expect(err.kind).toBe("invalid_response");
    expect(err.message).toMatch(/ended before \[DONE\]/);
  });

  it("reports a stream cut inside an event, or a dropped connection, as invalid_response", async () => {
    const cut = TEXT_ANSWER.slice(0, TEXT_ANSWER.indexOf(" is 100") + 3);
    for (const body of [
      byteStream(cut),
      byteStream(cut.slice(0, 300), { fail: new Error("Network connection lost.") }),
    ]) {
      const { fetcher } = fakeFetch(sseResponse(body));
      const err = await streamFailure(model(fetcher).stream(REQUEST, live()));
      expect(err.kind).toBe("invalid_response");
    }
  });

  it("reports a malformed event as invalid_response, quoting it", async () => {
    const { fetcher } = fakeFetch(sseResponse(sseText(['{"choices": [{"delta": {"content": "x"', "[DONE]"])));
    const err = await streamFailure(model(fetcher).stream(REQUEST, live()));
    expect(err.kind).toBe("invalid_response");
    expect(err.message).toContain("malformed event");
  });

  it("classifies an error sent inside the stream", async () => {
    const body = sseText(
      jsonEvents({ error: { message: "The server had an error", type: "server_error", code: null } }),
    );
    const { fetcher } = fakeFetch(sseResponse(body));
    expect((await streamFailure(model(fetcher).stream(REQUEST, live()))).kind).toBe("retryable");
  });

  it("classifies 429 as retryable with Retry-After, insufficient_quota as auth, 401 as auth", async () => {
    const error = (message: string, type: string, code: string) => ({ error: { message, type, param: null, code } });
    const cases = [
      [
        jsonResponse(error("Rate limit reached", "requests", "rate_limit_exceeded"), 429, { "Retry-After": "7" }),
        "retryable",
      ],
      [jsonResponse(error("You exceeded your current quota", "insufficient_quota", "insufficient_quota"), 429), "auth"],
      [jsonResponse(error("Incorrect API key provided", "invalid_request_error", "invalid_api_key"), 401), "auth"],
      [jsonResponse(error("The model does not exist", "invalid_request_error", "model_not_found"), 404), "permanent"],
    ] as const;
    for (const [res, kind] of cases) {
      const { fetcher } = fakeFetch(res);
      const err = await streamFailure(model(fetcher).stream(REQUEST, live()));
      expect(err.kind).toBe(kind);
      if (res.status === 429 && kind === "retryable") expect(err.options.retryAfterMs).toBe(7000);
      expect(err.message).not.toContain(KEY);
    }
  });

  it("refuses a 2xx answer that is not an event stream", async () => {
    const { fetcher } = fakeFetch(jsonResponse({ choices: [{ message: { content: "hi" } }] }));
    expect((await streamFailure(model(fetcher).stream(REQUEST, live()))).kind).toBe("invalid_response");
  });
});

describe("OpenAI-compatible settings", () => {
  const parse = (vars: Record<string, string>) => openAiLlmSettingsSchema.safeParse(vars);

  it("falls back to OPENAI_BASE_URL and OPENAI_API_KEY, the key only for its own host", () => {
    expect(parse({ OPENAI_API_KEY: KEY }).data).toMatchObject({ apiKey: KEY, baseUrl: "https://api.openai.com" });
    const groq = parse({ OPENAI_API_KEY: KEY, OPENAI_LLM_BASE_URL: "https://api.groq.com/openai/v1" });
    expect(groq.data).toMatchObject({ apiKey: undefined, baseUrl: "https://api.groq.com/openai" });
    const own = parse({ OPENAI_API_KEY: KEY, OPENAI_BASE_URL: "https://llm.example.com" });
    expect(own.data).toMatchObject({ apiKey: KEY, baseUrl: "https://llm.example.com" });
  });

  it("requires a key for api.openai.com and Azure, and names settings, never values", () => {
    const missing = parse({});
    expect(missing.success).toBe(false);
    expect(missing.error?.issues[0]?.path).toEqual(["OPENAI_LLM_API_KEY"]);
    const http = parse({ OPENAI_LLM_BASE_URL: "http://ollama.internal:11434", OPENAI_LLM_API_KEY: KEY });
    expect(http.error?.issues[0]).toMatchObject({ path: ["OPENAI_LLM_BASE_URL"] });
    expect(JSON.stringify(http.error?.issues)).not.toContain("ollama.internal");
    expect(parse({ OPENAI_LLM_API_KEY: KEY, OPENAI_LLM_ZONE: "mars" }).error?.issues[0]?.message).toBe(
      "must be eu, us or other",
    );
  });
});
