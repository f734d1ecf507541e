import { describe, expect, it } from "vitest";
import { fakeFetch, jsonResponse } from "../../../test/helpers/outbound";
import { GeminiModel, UNSIGNED_CALL } from "./gemini";
import { geminiSettingsSchema } from "./settings";
import { collect, jsonEvents, live, REQUEST, sseResponse, sseText, streamFailure } from "./test-support";

const KEY = "AIzaSyTest0123456789abcdefghijklmnop";
const model = (fetcher: typeof fetch, vars: Record<string, string> = {}) =>
  new GeminiModel(geminiSettingsSchema.parse({ GEMINI_API_KEY: KEY, ...vars }), { fetcher });

const response = (parts: object[], extra: object = {}) => ({
  candidates: [{ content: { parts, role: "model" }, index: 0, ...extra }],
  modelVersion: "gemini-2.5-flash",
  responseId: "mZ4vaN2fOa2sz7IPqNe8-Ag",
});

/** As generativelanguage.googleapis.com sends it with alt=sse: CRLF line ends, a whole response per event. */
const TEXT_ANSWER = sseText(
  jsonEvents(response([{ text: "Your balance" }], {}), {
    ...response([{ text: " is 100 €." }], { finishReason: "STOP" }),
    usageMetadata: { promptTokenCount: 38, candidatesTokenCount: 9, totalTokenCount: 66, thoughtsTokenCount: 19 },
  }),
  "\r\n",
);

describe("Gemini adapter", () => {
  it("streams text parts, then done with the usage (thinking tokens counted as output)", async () => {
    const { fetcher } = fakeFetch(sseResponse(TEXT_ANSWER));
    expect(await collect(model(fetcher).stream(REQUEST, live()))).toEqual([
      { type: "text", text: "Your balance" },
      { type: "text", text: " is 100 €." },
      { type: "done", finishReason: "stop", usage: { inputTokens: 38, outputTokens: 28 } },
    ]);
  });

  it("sends the documented request: systemInstruction, user/model roles, functionCall/functionResponse", async () => {
    const { fetcher, requests } = fakeFetch(sseResponse(TEXT_ANSWER));
    await collect(model(fetcher).stream(REQUEST, live()));
    const req = requests[0]!;
    expect(req.url.href).toBe(
      "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
    );
    expect(req.headers.get("x-goog-api-key")).toBe(KEY);
    expect(req.url.search).not.toContain(KEY);
    expect(req.json()).toEqual({
      contents: [
        { role: "model", parts: [{ text: "Hello, how can I help?" }] },
        {
          role: "user",
          parts: [{ text: "What is the balance of account 123?" }],
        },
        {
          role: "model",
          parts: [{ functionCall: { id: "call_1", name: "get_balance", args: { account: "123" } } }],
        },
        {
          role: "user",
          parts: [{ functionResponse: { id: "call_1", name: "get_balance", response: { balance: 100 } } }],
        },
      ],
      systemInstruction: { parts: [{ text: "You are the bank's voice agent." }] },
      tools: [
        {
          functionDeclarations: [
            {
              name: "get_balance",
              description: "The balance of an account",
              parametersJsonSchema: REQUEST.tools[0]!.parameters,
            },
          ],
        },
      ],
      generationConfig: { temperature: 0.3, maxOutputTokens: 200 },
    });
  });

  it("marks replayed calls for Gemini 3 models, and wraps a result that is not an object", async () => {
    const { fetcher, requests } = fakeFetch(sseResponse(TEXT_ANSWER));
    const request = {
      ...REQUEST,
      model: "gemini-3-flash",
      messages: [...REQUEST.messages.slice(0, 4), { ...REQUEST.messages[4]!, content: "sunny" } as const],
    };
    await collect(model(fetcher).stream(request, live()));
    const body = requests[0]!.json<{ contents: { parts: Record<string, unknown>[] }[] }>();
    expect(requests[0]!.url.pathname).toBe("/v1beta/models/gemini-3-flash:streamGenerateContent");
    expect(body.contents[2]!.parts[0]!.thoughtSignature).toBe(UNSIGNED_CALL);
    expect(body.contents[3]!.parts[0]).toEqual({
      functionResponse: { id: "call_1", name: "get_balance", response: { output: "sunny" } },
    });
  });

  it("turns functionCall parts into tool calls with generated ids, finishing as tool_calls", async () => {
    const body = sseText(
      jsonEvents({
        ...response(
          [
            { functionCall: { name: "get_balance", args: { account: "123" } }, thoughtSignature: "CiQB0e2Kb7x" },
            { functionCall: { name: "end_call", args: {} } },
          ],
          { finishReason: "STOP" },
        ),
        usageMetadata: { promptTokenCount: 50, candidatesTokenCount: 12, totalTokenCount: 62 },
      }),
      "\r\n",
    );
    const { fetcher } = fakeFetch(sseResponse(body));
    const events = await collect(model(fetcher).stream(REQUEST, live()));
    expect(events.map((e) => (e.type === "tool_call" ? [e.call.name, e.call.arguments] : e.type))).toEqual([
      ["get_balance", '{"account":"123"}'],
      ["end_call", "{}"],
      "done",
    ]);
    const first = events[0]!;
    expect(first.type === "tool_call" && first.call.id).toMatch(/^call_[0-9a-f]{24}$/);
    expect(events[2]).toEqual({
      type: "done",
      finishReason: "tool_calls",
      usage: { inputTokens: 50, outputTokens: 12 },
    });
  });

  it("reports a stream without a finishReason as cut, and malformed JSON as invalid_response", async () => {
    for (const body of [
      sseText(jsonEvents(response([{ text: "Your bal" }]))),
      'data: {"candidates": [{"content"\r\n\r\n',
    ]) {
      const { fetcher } = fakeFetch(sseResponse(body));
      expect((await streamFailure(model(fetcher).stream(REQUEST, live()))).kind).toBe("invalid_response");
    }
  });

  it("classifies 429 as retryable with Retry-After, 403 as auth, an error chunk by its status", async () => {
    const error = (code: number, status: string) => ({ error: { code, message: "quota exceeded", status } });
    let { fetcher } = fakeFetch(jsonResponse(error(429, "RESOURCE_EXHAUSTED"), 429, { "Retry-After": "3" }));
    let err = await streamFailure(model(fetcher).stream(REQUEST, live()));
    expect([err.kind, err.options.retryAfterMs]).toEqual(["retryable", 3000]);
    ({ fetcher } = fakeFetch(jsonResponse(error(403, "PERMISSION_DENIED"), 403)));
    err = await streamFailure(model(fetcher).stream(REQUEST, live()));
    expect(err.kind).toBe("auth");
    expect(err.message).not.toContain(KEY);
    ({ fetcher } = fakeFetch(sseResponse(sseText(jsonEvents(error(503, "UNAVAILABLE"))))));
    err = await streamFailure(model(fetcher).stream(REQUEST, live()));
    expect([err.kind, err.options.status]).toEqual(["retryable", 503]);
  });

  it("ends a refused prompt (promptFeedback.blockReason) as done 'other'", async () => {
    const body = sseText(
      jsonEvents({ promptFeedback: { blockReason: "SAFETY" }, usageMetadata: { promptTokenCount: 9 } }),
    );
    const { fetcher } = fakeFetch(sseResponse(body));
    expect(await collect(model(fetcher).stream(REQUEST, live()))).toEqual([
      { type: "done", finishReason: "other", usage: { inputTokens: 9, outputTokens: 0 } },
    ]);
  });

  it("requires GEMINI_API_KEY, accepts 'models/' names and versioned base URLs", () => {
    expect(geminiSettingsSchema.safeParse({}).error?.issues[0]?.path).toEqual(["GEMINI_API_KEY"]);
    const s = geminiSettingsSchema.parse({
      GEMINI_API_KEY: KEY,
      GEMINI_MODEL: "models/gemini-2.5-pro",
      GEMINI_BASE_URL: "https://gw.example.com/google/v1beta",
      GEMINI_LLM_ZONE: "eu",
    });
    expect(s).toMatchObject({ model: "gemini-2.5-pro", baseUrl: "https://gw.example.com/google", zone: "eu" });
  });
});
