import { describe, expect, it } from "vitest";
import { workersAiLlmSettingsSchema } from "./settings";
import { byteStream, collect, jsonEvents, live, REQUEST, sseText, stalledStream, streamFailure } from "./test-support";
import { WorkersAiChatModel } from "./workers-ai";

/** The AI binding as the adapter sees it: records each run, answers what the test scripted. */
function binding(answer: (inputs: Record<string, unknown>) => unknown) {
  const runs: { model: string; inputs: Record<string, unknown>; signal: AbortSignal | undefined }[] = [];
  const ai = {
    run: async (model: string, inputs: Record<string, unknown>, options?: { signal?: AbortSignal }) => {
      runs.push({ model, inputs, signal: options?.signal });
      return answer(inputs);
    },
  };
  return { ai, runs, model: new WorkersAiChatModel(workersAiLlmSettingsSchema.parse({ AI: ai })) };
}

/** As the binding streams a Llama model's answer: `response` pieces, usage on the last, then [DONE]. */
const TEXT_ANSWER = sseText([
  ...jsonEvents(
    { response: "Your balance", p: "abdefghijklmnoprstuvwxyz" },
    { response: " is 100 €.", p: "abdefg" },
    { response: "", usage: { prompt_tokens: 61, completion_tokens: 8, total_tokens: 69 } },
  ),
  "[DONE]",
]);

describe("Workers AI language-model adapter", () => {
  it("streams `response` pieces, then done with the usage", async () => {
    const { model } = binding(() => byteStream(TEXT_ANSWER));
    expect([model.name, model.region, model.zone, model.defaultModel]).toEqual([
      "workers-ai",
      "cloudflare",
      "other",
      "@cf/meta/llama-3.3-70b-instruct-fp8-fast",
    ]);
    expect(await collect(model.stream(REQUEST, live()))).toEqual([
      { type: "text", text: "Your balance" },
      { type: "text", text: " is 100 €." },
      { type: "done", finishReason: "stop", usage: { inputTokens: 61, outputTokens: 8 } },
    ]);
  });

  it("runs the model with messages, tools and stream: true, passing the signal", async () => {
    const { model, runs } = binding(() => byteStream(TEXT_ANSWER));
    const signal = live();
    await collect(model.stream({ ...REQUEST, model: "@cf/meta/llama-4-scout-17b-16e-instruct" }, signal));
    expect(runs[0]!.model).toBe("@cf/meta/llama-4-scout-17b-16e-instruct");
    expect(runs[0]!.signal).toBe(signal);
    expect(runs[0]!.inputs).toEqual({
      messages: [
        { role: "system", content: "You are the bank's voice agent." },
        { role: "assistant", content: "Hello, how can I help?" },
        { role: "user", content: "What is the balance of account 123?" },
        {
          role: "assistant",
          content: '{"name":"get_balance","parameters":{"account":"123"}}',
          tool_calls: [
            { id: "call_1", type: "function", function: { name: "get_balance", arguments: '{"account":"123"}' } },
          ],
        },
        { role: "tool", tool_call_id: "call_1", content: '{"balance":100}', name: "get_balance" },
      ],
      tools: [{ type: "function", function: REQUEST.tools[0] }],
      temperature: 0.3,
      max_tokens: 200,
      stream: true,
    });
  });

  it("assembles tool calls streamed as deltas, skipping the closing marker", async () => {
    const body = sseText([
      ...jsonEvents(
        {
          response: "",
          tool_calls: [{ id: "chatcmpl-tool-9", type: "function", index: 0, function: { name: "get_balance" } }],
        },
        { response: "", tool_calls: [{ index: 0, function: { arguments: '{"account": ' } }] },
        { response: "", tool_calls: [{ index: 0, function: { arguments: '"123"}' } }] },
        { response: "", tool_calls: [{ id: null, type: null, function: { name: null } }] },
        { response: "", usage: { prompt_tokens: 200, completion_tokens: 20, total_tokens: 220 } },
      ),
      "[DONE]",
    ]);
    const { model } = binding(() => byteStream(body));
    expect(await collect(model.stream(REQUEST, live()))).toEqual([
      { type: "tool_call", call: { id: "chatcmpl-tool-9", name: "get_balance", arguments: '{"account": "123"}' } },
      { type: "done", finishReason: "tool_calls", usage: { inputTokens: 200, outputTokens: 20 } },
    ]);
  });

  it("reads whole native tool calls, OpenAI-shaped chunks, and a non-streamed answer", async () => {
    const native = sseText([
      ...jsonEvents({ response: "", tool_calls: [{ name: "get_balance", arguments: { account: "123" } }] }),
      "[DONE]",
    ]);
    const openAiShaped = sseText([
      ...jsonEvents(
        { choices: [{ index: 0, delta: { content: "Hi" }, finish_reason: null }] },
        {
          choices: [{ index: 0, delta: {}, finish_reason: "stop" }],
          usage: { prompt_tokens: 5, completion_tokens: 1 },
        },
      ),
      "[DONE]",
    ]);
    let { model } = binding(() => byteStream(native));
    const calls = await collect(model.stream(REQUEST, live()));
    expect(calls[0]).toMatchObject({
      type: "tool_call",
      call: { name: "get_balance", arguments: '{"account":"123"}' },
    });
    ({ model } = binding(() => byteStream(openAiShaped)));
    expect(await collect(model.stream(REQUEST, live()))).toEqual([
      { type: "text", text: "Hi" },
      { type: "done", finishReason: "stop", usage: { inputTokens: 5, outputTokens: 1 } },
    ]);
    ({ model } = binding(() => ({
      response: "Whole",
      tool_calls: [],
      usage: { prompt_tokens: 3, completion_tokens: 1 },
    })));
    expect(await collect(model.stream(REQUEST, live()))).toEqual([
      { type: "text", text: "Whole" },
      { type: "done", finishReason: "stop", usage: { inputTokens: 3, outputTokens: 1 } },
    ]);
  });

  it("classifies the binding's errors by their documented codes", async () => {
    for (const [message, kind] of [
      ["3040: Capacity temporarily exceeded, please try again.", "retryable"],
      ["AiError: 5007: No such model @cf/nope", "permanent"],
      ["3036: Account limited: daily free allocation used", "auth"],
    ] as const) {
      const { model } = binding(() => {
        throw new Error(message);
      });
      expect((await streamFailure(model.stream(REQUEST, live()))).kind).toBe(kind);
    }
  });

  it("reports a cut or malformed stream as invalid_response", async () => {
    for (const body of [
      byteStream(TEXT_ANSWER.slice(0, TEXT_ANSWER.indexOf("[DONE]") - 6)),
      byteStream(TEXT_ANSWER.slice(0, 40)),
      byteStream(TEXT_ANSWER.slice(0, 60), { fail: new TypeError("Network connection lost.") }),
    ]) {
      const { model } = binding(() => body);
      expect((await streamFailure(model.stream(REQUEST, live()))).kind).toBe("invalid_response");
    }
  });

  it("stops reading a stalled stream as soon as the signal aborts", async () => {
    const { model } = binding(() => stalledStream(sseText(jsonEvents({ response: "Hel" }))));
    const controller = new AbortController();
    const stream = model.stream(REQUEST, controller.signal);
    const first = await stream.next();
    expect(first.value).toEqual({ type: "text", text: "Hel" });
    const pending = stream.next();
    controller.abort(new Error("caller left"));
    await expect(pending).rejects.toMatchObject({ kind: "permanent", message: expect.stringMatching(/aborted/) });
  });

  it("asks for the AI binding when it is missing", () => {
    const parsed = workersAiLlmSettingsSchema.safeParse({});
    expect(parsed.error?.issues[0]?.path).toEqual(["AI"]);
    expect(parsed.error?.issues[0]?.message).toMatch(/\[ai\] binding/);
  });
});
