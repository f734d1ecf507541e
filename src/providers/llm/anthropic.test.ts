import { describe, expect, it } from "vitest";
import { fakeFetch, jsonResponse } from "../../../test/helpers/outbound";
import { AnthropicModel } from "./anthropic";
import { anthropicSettingsSchema } from "./settings";
import { byteStream, collect, live, REQUEST, sseResponse, sseText, streamFailure, type SseItem } from "./test-support";

const KEY = "sk-ant-api03-test-0123456789abcdef";
const model = (fetcher: typeof fetch, vars: Record<string, string> = {}) =>
  new AnthropicModel(anthropicSettingsSchema.parse({ ANTHROPIC_API_KEY: KEY, ...vars }), { fetcher });

/** An event as the Messages API names it twice: in `event:` and in its data's `type`. */
const ev = (data: { type: string } & Record<string, unknown>): SseItem => ({
  event: data.type,
  data: JSON.stringify(data),
});

const START = ev({
  type: "message_start",
  message: {
    id: "msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY",
    type: "message",
    role: "assistant",
    content: [],
    model: "claude-haiku-4-5",
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: 472, cache_read_input_tokens: 10, output_tokens: 2 },
  },
});
const STOP = ev({ type: "message_stop" });
const delta = (index: number, d: object) => ev({ type: "content_block_delta", index, delta: d });

/** The documented text stream (https://docs.claude.com/en/docs/build-with-claude/streaming). */
const TEXT_ANSWER = sseText([
  START,
  ev({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }),
  ev({ type: "ping" }),
  delta(0, { type: "text_delta", text: "Your balance" }),
  delta(0, { type: "text_delta", text: " is 100 €." }),
  ev({ type: "content_block_stop", index: 0 }),
  ev({ type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 15 } }),
  STOP,
]);

/** Text, then a tool_use block whose input JSON comes in input_json_delta pieces. */
const TOOL_ANSWER = sseText([
  START,
  ev({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }),
  delta(0, { type: "text_delta", text: "Let me check." }),
  ev({ type: "content_block_stop", index: 0 }),
  ev({
    type: "content_block_start",
    index: 1,
    content_block: { type: "tool_use", id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6", name: "get_balance", input: {} },
  }),
  delta(1, { type: "input_json_delta", partial_json: "" }),
  delta(1, { type: "input_json_delta", partial_json: '{"acco' }),
  delta(1, { type: "input_json_delta", partial_json: 'unt": "12' }),
  delta(1, { type: "input_json_delta", partial_json: '3"}' }),
  ev({ type: "content_block_stop", index: 1 }),
  ev({ type: "message_delta", delta: { stop_reason: "tool_use", stop_sequence: null }, usage: { output_tokens: 89 } }),
  STOP,
]);

describe("Anthropic Messages adapter", () => {
  it("streams text deltas, then done with the usage (cached input counted)", async () => {
    const { fetcher } = fakeFetch(sseResponse(TEXT_ANSWER));
    expect(await collect(model(fetcher).stream(REQUEST, live()))).toEqual([
      { type: "text", text: "Your balance" },
      { type: "text", text: " is 100 €." },
      { type: "done", finishReason: "stop", usage: { inputTokens: 482, outputTokens: 15 } },
    ]);
  });

  it("sends the documented request: headers, system apart, tool_use and tool_result blocks, input_schema", async () => {
    const { fetcher, requests } = fakeFetch(sseResponse(TEXT_ANSWER));
    await collect(model(fetcher).stream(REQUEST, live()));
    const req = requests[0]!;
    expect(req.url.href).toBe("https://api.anthropic.com/v1/messages");
    expect(req.headers.get("x-api-key")).toBe(KEY);
    expect(req.headers.get("anthropic-version")).toBe("2023-06-01");
    expect(req.json()).toEqual({
      model: "claude-haiku-4-5",
      max_tokens: 200,
      system: "You are the bank's voice agent.",
      messages: [
        { role: "assistant", content: [{ type: "text", text: "Hello, how can I help?" }] },
        { role: "user", content: [{ type: "text", text: "What is the balance of account 123?" }] },
        {
          role: "assistant",
          content: [{ type: "tool_use", id: "call_1", name: "get_balance", input: { account: "123" } }],
        },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "call_1", content: '{"balance":100}' }] },
      ],
      tools: [
        { name: "get_balance", description: "The balance of an account", input_schema: REQUEST.tools[0]!.parameters },
      ],
      temperature: 0.3,
      stream: true,
    });
  });

  it("puts parallel results in one user turn and makes other providers' ids acceptable", async () => {
    const { fetcher, requests } = fakeFetch(sseResponse(TEXT_ANSWER));
    await collect(
      model(fetcher).stream(
        {
          messages: [
            { role: "user", content: "Hi" },
            {
              role: "assistant",
              content: "",
              toolCalls: [
                { id: "functions.a:0", name: "a", arguments: "not json" },
                { id: "b", name: "b", arguments: "{}" },
              ],
            },
            { role: "tool", toolCallId: "functions.a:0", name: "a", content: "ok" },
            { role: "tool", toolCallId: "b", name: "b", content: "" },
          ],
          tools: [],
        },
        live(),
      ),
    );
    const body = requests[0]!.json<{ messages: unknown[]; max_tokens: number }>();
    expect(body.max_tokens).toBe(1024);
    expect(body.messages.slice(1)).toEqual([
      {
        role: "assistant",
        content: [
          { type: "tool_use", id: "functions_a_0", name: "a", input: {} },
          { type: "tool_use", id: "b", name: "b", input: {} },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "functions_a_0", content: "ok" },
          { type: "tool_result", tool_use_id: "b" },
        ],
      },
    ]);
  });

  it("assembles a tool_use block's input from its input_json_delta pieces", async () => {
    const { fetcher } = fakeFetch(sseResponse(TOOL_ANSWER));
    expect(await collect(model(fetcher).stream(REQUEST, live()))).toEqual([
      { type: "text", text: "Let me check." },
      {
        type: "tool_call",
        call: { id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6", name: "get_balance", arguments: '{"account": "123"}' },
      },
      { type: "done", finishReason: "tool_calls", usage: { inputTokens: 482, outputTokens: 89 } },
    ]);
  });

  it("skips thinking blocks", async () => {
    const body = sseText([
      START,
      ev({ type: "content_block_start", index: 0, content_block: { type: "thinking", thinking: "" } }),
      delta(0, { type: "thinking_delta", thinking: "The user wants..." }),
      delta(0, { type: "signature_delta", signature: "EqQBCgIYAhIM" }),
      ev({ type: "content_block_stop", index: 0 }),
      ev({ type: "content_block_start", index: 1, content_block: { type: "text", text: "" } }),
      delta(1, { type: "text_delta", text: "Hi." }),
      ev({ type: "content_block_stop", index: 1 }),
      ev({ type: "message_delta", delta: { stop_reason: "max_tokens" }, usage: { output_tokens: 3 } }),
      STOP,
    ]);
    const { fetcher } = fakeFetch(sseResponse(body));
    const events = await collect(model(fetcher).stream(REQUEST, live()));
    expect(events.map((e) => e.type)).toEqual(["text", "done"]);
    expect(events[1]).toMatchObject({ finishReason: "length" });
  });

  it("classifies an error event by its type: overloaded retryable, invalid_request permanent", async () => {
    for (const [type, kind, status] of [
      ["overloaded_error", "retryable", 529],
      ["invalid_request_error", "permanent", 400],
    ] as const) {
      const body = sseText([START, ev({ type: "error", error: { type, message: "Overloaded" } })]);
      const { fetcher } = fakeFetch(sseResponse(body));
      const err = await streamFailure(model(fetcher).stream(REQUEST, live()));
      expect([err.kind, err.options.status]).toEqual([kind, status]);
    }
  });

  it("reports a stream cut before message_stop, or inside an event, as invalid_response", async () => {
    const cutAt = TOOL_ANSWER.indexOf("content_block_stop", TOOL_ANSWER.indexOf("input_json_delta"));
    for (const body of [TOOL_ANSWER.slice(0, cutAt - 7), TOOL_ANSWER.slice(0, TOOL_ANSWER.indexOf("unt") + 2)]) {
      const { fetcher } = fakeFetch(sseResponse(byteStream(body, { size: 5 })));
      const err = await streamFailure(model(fetcher).stream(REQUEST, live()));
      expect(err.kind).toBe("invalid_response");
    }
  });

  it("reports malformed event JSON as invalid_response", async () => {
    const { fetcher } = fakeFetch(sseResponse(sseText([START, { event: "content_block_delta", data: "{nope" }])));
    expect((await streamFailure(model(fetcher).stream(REQUEST, live()))).kind).toBe("invalid_response");
  });

  it("classifies 429 (with retry-after) as retryable, 401 as auth, without quoting the key", async () => {
    const error = (type: string, message: string) => ({ type: "error", error: { type, message } });
    const limited = jsonResponse(error("rate_limit_error", "Number of requests has exceeded your rate limit"), 429, {
      "retry-after": "12",
    });
    let { fetcher } = fakeFetch(limited);
    const err = await streamFailure(model(fetcher).stream(REQUEST, live()));
    expect([err.kind, err.options.status, err.options.retryAfterMs]).toEqual(["retryable", 429, 12_000]);
    ({ fetcher } = fakeFetch(jsonResponse(error("authentication_error", "invalid x-api-key"), 401)));
    const auth = await streamFailure(model(fetcher).stream(REQUEST, live()));
    expect(auth.kind).toBe("auth");
    expect(auth.message).not.toContain(KEY);
  });

  it("requires ANTHROPIC_API_KEY and takes a gateway base URL", () => {
    expect(anthropicSettingsSchema.safeParse({}).error?.issues[0]?.path).toEqual(["ANTHROPIC_API_KEY"]);
    const gw = anthropicSettingsSchema.parse({
      ANTHROPIC_API_KEY: KEY,
      ANTHROPIC_BASE_URL: "https://gw.example.com/anthropic/v1",
    });
    expect(gw.baseUrl).toBe("https://gw.example.com/anthropic");
    expect(new AnthropicModel(gw).region).toBe("gw.example.com/anthropic");
  });
});
