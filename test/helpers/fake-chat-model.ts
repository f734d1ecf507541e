/**
 * A fake language model that speaks OpenAI Chat Completions streaming (SSE, `stream: true`) as a
 * fetch handler: each request is answered by the next script step, written chunk by chunk with
 * optional pauses, so tests can see what the pipeline does while a model is still writing. Every
 * request body is recorded (what the model was told).
 */
export type ModelStep = { text: string } | { tool: string; arguments: unknown } | { pauseMs: number };

export interface FakeModel {
  handle(request: Request): Promise<Response>;
  /** The JSON bodies the model received, in order. */
  requests: { messages: { role: string; content: unknown }[]; tools?: unknown[] }[];
  /** Per request: whether the model wrote its whole answer, or the reader cancelled it. */
  finished: boolean[];
  cancelled: boolean[];
}

const chunk = (delta: object, finish: string | null = null) => {
  const body = { id: "chatcmpl-fake", object: "chat.completion.chunk", created: 1, model: "fake" };
  return `data: ${JSON.stringify({ ...body, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
};

export function fakeChatModel(answers: ModelStep[][] | ((index: number) => ModelStep[])): FakeModel {
  const requests: FakeModel["requests"] = [];
  const finished: boolean[] = [];
  const cancelled: boolean[] = [];
  return {
    requests,
    finished,
    cancelled,
    async handle(request) {
      const body = (await request.json()) as FakeModel["requests"][number];
      const index = requests.length;
      requests.push(body);
      const steps =
        typeof answers === "function" ? answers(index) : (answers[Math.min(index, answers.length - 1)] ?? []);
      const encoder = new TextEncoder();
      finished[index] = false;
      cancelled[index] = false;
      const stream = new ReadableStream<Uint8Array>({
        cancel() {
          cancelled[index] = true;
        },
        async start(controller) {
          let calls = 0;
          controller.enqueue(encoder.encode(chunk({ role: "assistant", content: "" })));
          // Written from this one task: a reader that cancelled stops it at the next step.
          for (const step of steps) {
            if (cancelled[index]) return;
            if ("pauseMs" in step) await new Promise((r) => setTimeout(r, step.pauseMs));
            else if ("text" in step) controller.enqueue(encoder.encode(chunk({ content: step.text })));
            else {
              const id = `call_${index}_${calls}`;
              const fn = { name: step.tool, arguments: JSON.stringify(step.arguments) };
              controller.enqueue(
                encoder.encode(chunk({ tool_calls: [{ index: calls++, id, type: "function", function: fn }] })),
              );
            }
          }
          if (cancelled[index]) return;
          controller.enqueue(encoder.encode(chunk({}, calls ? "tool_calls" : "stop")));
          const usage = { prompt_tokens: 100 + index, completion_tokens: 10, total_tokens: 110 + index };
          controller.enqueue(encoder.encode(`data: ${JSON.stringify({ choices: [], usage })}\n\n`));
          controller.enqueue(encoder.encode("data: [DONE]\n\n"));
          finished[index] = true;
          controller.close();
        },
      });
      return new Response(stream, { headers: { "Content-Type": "text/event-stream" } });
    },
  };
}

/** Settings that point the `openai` model provider at a fake server on `base`. */
export const FAKE_MODEL_BASE = "https://model.test";
export const FAKE_MODEL_SETTINGS = {
  LLM_PROVIDERS: "openai",
  OPENAI_LLM_BASE_URL: FAKE_MODEL_BASE,
  OPENAI_LLM_API_KEY: "sk-fake-model-key-0123456789",
  OPENAI_LLM_MODEL: "fake-model",
  LLM_FIRST_TOKEN_TIMEOUT_MS: "1500",
};
