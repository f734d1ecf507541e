/**
 * The contract every language-model adapter keeps, run over each of them (as contract.test.ts one
 * folder up does for speech), each adapter built by its registry module from settings parsed out of
 * vars: a streamed answer ends in exactly one `done`; failures are ProviderErrors classified for the
 * routing layer (429/5xx/network retryable with Retry-After, 400/404 permanent, 401/403 auth, a cut
 * stream invalid_response); the caller's abort stops a hung call at once and reaches the upstream
 * call; and no credential, nor a 12-character piece of one, appears in any error, even when the
 * server quotes the request back.
 */
import { describe, expect, it } from "vitest";
import { hangingFetch, jsonResponse, type RecordedRequest } from "../../../test/helpers/outbound";
import { fakeFetch } from "../../../test/helpers/outbound";
import { ProviderError } from "../errors";
import { AnthropicModel } from "./anthropic";
import { GeminiModel } from "./gemini";
import { OpenAiChatModel } from "./openai";
import { LLM_MODULES } from "./registry";
import {
  anthropicSettingsSchema,
  geminiSettingsSchema,
  openAiLlmSettingsSchema,
  workersAiLlmSettingsSchema,
} from "./settings";
import { byteStream, collect, jsonEvents, live, REQUEST, sseResponse, sseText } from "./test-support";
import type { LanguageModel } from "./types";
import { WorkersAiChatModel } from "./workers-ai";

type Server =
  { kind: "answer" } | { kind: "cut" } | { kind: "fail"; status: number } | { kind: "disconnect" } | { kind: "hang" };

interface Fixture {
  secrets: string[];
  sendsRetryAfter: boolean;
  /** Statuses this provider has no way to answer with, and why. */
  cannot?: Record<number, string>;
  connect(server: Server): { model: LanguageModel; signals: (AbortSignal | undefined)[] };
}

/** An error body that quotes the request back, as a misbehaving proxy might: secrets must be masked. */
const echo = (req: RecordedRequest) =>
  `you sent ${req.url.href} with ${JSON.stringify([...req.headers])} and ${req.text().slice(0, 200)}`;

function httpFixture(answer: string, build: (fetcher: typeof fetch) => LanguageModel, secrets: string[]): Fixture {
  return {
    secrets,
    sendsRetryAfter: true,
    connect(server) {
      const signals: (AbortSignal | undefined)[] = [];
      const record: typeof fetch = (input, init) => {
        signals.push(init?.signal ?? undefined);
        if (server.kind === "hang") return hangingFetch()(input, init);
        if (server.kind === "disconnect") return Promise.reject(new TypeError("Network connection lost."));
        const { fetcher } = fakeFetch((req) => {
          if (server.kind === "answer") return sseResponse(answer);
          if (server.kind === "cut") return sseResponse(byteStream(answer.slice(0, Math.floor(answer.length * 0.6))));
          const headers: Record<string, string> = server.status === 429 ? { "Retry-After": "7" } : {};
          return jsonResponse({ error: { message: echo(req), code: server.status } }, server.status, headers);
        });
        return fetcher(input, init);
      };
      return { model: build(record), signals };
    },
  };
}

const OPENAI_KEY = "sk-contract-0123456789abcdefghij";
const ANTHROPIC_KEY = "sk-ant-contract-0123456789abcdefghij";
const GEMINI_KEY = "AIzaContract0123456789abcdefghijklm";

const FIXTURES: Record<string, Fixture> = {
  openai: httpFixture(
    sseText([
      ...jsonEvents(
        { choices: [{ index: 0, delta: { content: "Hello there, how are you today?" }, finish_reason: null }] },
        { choices: [{ index: 0, delta: {}, finish_reason: "stop" }] },
      ),
      "[DONE]",
    ]),
    (fetcher) => new OpenAiChatModel(openAiLlmSettingsSchema.parse({ OPENAI_LLM_API_KEY: OPENAI_KEY }), { fetcher }),
    [OPENAI_KEY],
  ),
  anthropic: httpFixture(
    sseText([
      ...jsonEvents(
        { type: "message_start", message: { usage: { input_tokens: 5, output_tokens: 1 } } },
        { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
        { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Hello there, how are you?" } },
        { type: "content_block_stop", index: 0 },
        { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 7 } },
        { type: "message_stop" },
      ),
    ]),
    (fetcher) => new AnthropicModel(anthropicSettingsSchema.parse({ ANTHROPIC_API_KEY: ANTHROPIC_KEY }), { fetcher }),
    [ANTHROPIC_KEY],
  ),
  google: httpFixture(
    sseText(
      jsonEvents(
        { candidates: [{ content: { role: "model", parts: [{ text: "Hello there, how are you?" }] } }] },
        { candidates: [{ content: { role: "model", parts: [{ text: " Fine." }] }, finishReason: "STOP" }] },
      ),
      "\r\n",
    ),
    (fetcher) => new GeminiModel(geminiSettingsSchema.parse({ GEMINI_API_KEY: GEMINI_KEY }), { fetcher }),
    [GEMINI_KEY],
  ),
  "workers-ai": {
    secrets: [],
    sendsRetryAfter: false,
    cannot: { 401: "the binding has no credentials of ours to refuse (403-class codes stand for it)" },
    connect(server) {
      const signals: (AbortSignal | undefined)[] = [];
      // The binding's documented error codes (https://developers.cloudflare.com/workers-ai/platform/errors/).
      const thrown: Record<number, string> = {
        429: "3040: Capacity temporarily exceeded, please try again.",
        500: "InferenceUpstreamError: upstream returned 500",
        503: "AiInternalError: 5000: internal error",
        400: "AiError: 5006: Error: required properties at '/' are 'messages'",
        404: "3042: Invalid model ID",
        403: "3023: Account blocked",
      };
      const answer = sseText([...jsonEvents({ response: "Hello there, how are you?" }, { response: "" }), "[DONE]"]);
      const ai = {
        run: (_model: string, _inputs: Record<string, unknown>, options?: { signal?: AbortSignal }) => {
          signals.push(options?.signal);
          if (server.kind === "answer") return Promise.resolve(byteStream(answer));
          if (server.kind === "cut") return Promise.resolve(byteStream(answer.slice(0, 30)));
          if (server.kind === "disconnect") return Promise.reject(new TypeError("Network connection lost."));
          if (server.kind === "hang") return hangingFetch()("https://ai.invalid/", { signal: options?.signal });
          return Promise.reject(new Error(thrown[server.status] ?? `${server.status}`));
        },
      };
      return { model: new WorkersAiChatModel(workersAiLlmSettingsSchema.parse({ AI: ai })), signals };
    },
  },
};

const FAILURES = [
  [429, "retryable"],
  [500, "retryable"],
  [503, "retryable"],
  [400, "permanent"],
  [404, "permanent"],
  [401, "auth"],
  [403, "auth"],
] as const;

async function failure(model: LanguageModel, signal = live()): Promise<ProviderError> {
  const err = await collect(model.stream(REQUEST, signal)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

/** Every 12-character piece of each secret, none of which may show in an error. */
function expectNoSecrets(err: ProviderError, secrets: readonly string[]) {
  const texts = [err.message, String(err), JSON.stringify(err), String(err.cause ?? ""), JSON.stringify(err.options)];
  for (const secret of secrets)
    for (let i = 0; i + 12 <= secret.length; i++)
      for (const text of texts) expect(text).not.toContain(secret.slice(i, i + 12));
}

describe("the language-model contract's reach", () => {
  it("covers every module in LLM_MODULES", () => {
    expect(Object.keys(FIXTURES).sort()).toEqual(LLM_MODULES.map((m) => m.name).sort());
  });
});

for (const [name, fixture] of Object.entries(FIXTURES)) {
  describe(`language-model contract: ${name}`, () => {
    it("streams an answer that ends in exactly one done", async () => {
      const { model } = fixture.connect({ kind: "answer" });
      expect(model.name).toBe(name);
      const events = await collect(model.stream(REQUEST, live()));
      expect(events.filter((e) => e.type === "done")).toHaveLength(1);
      expect(events.at(-1)?.type).toBe("done");
      expect(events.some((e) => e.type === "text")).toBe(true);
    });

    for (const [status, kind] of FAILURES) {
      const why = fixture.cannot?.[status];
      it.skipIf(why !== undefined)(`classifies ${status} as ${kind}${why ? ` (skipped: ${why})` : ""}`, async () => {
        const err = await failure(fixture.connect({ kind: "fail", status }).model);
        expect(err.kind).toBe(kind);
        expect(err.provider).toBe(name);
        if (status === 429 && fixture.sendsRetryAfter) expect(err.options.retryAfterMs).toBe(7000);
        expectNoSecrets(err, fixture.secrets);
      });
    }

    it("classifies a dropped connection as retryable and a cut stream as invalid_response", async () => {
      expect((await failure(fixture.connect({ kind: "disconnect" }).model)).kind).toBe("retryable");
      expect((await failure(fixture.connect({ kind: "cut" }).model)).kind).toBe("invalid_response");
    });

    it("stops a hung call as soon as the caller aborts, aborting the upstream call too", async () => {
      const { model, signals } = fixture.connect({ kind: "hang" });
      const controller = new AbortController();
      const pending = failure(model, controller.signal);
      await new Promise((resolve) => setTimeout(resolve, 5));
      const t0 = Date.now();
      controller.abort(new Error("caller hung up"));
      const err = await pending;
      expect(Date.now() - t0).toBeLessThan(500);
      expect(err.kind).toBe("permanent");
      expect(signals[0]?.aborted).toBe(true);
    });
  });
}
