/** Shared by this folder's tests only (never imported by runtime code): streamed answers as servers send them. */
import { expect } from "vitest";
import { ProviderError } from "../errors";
import type { LlmEvent, LlmRequest } from "./types";

/** A conversation that exercises every message shape: system, greeting, user, a tool call and its result. */
export const REQUEST: LlmRequest = {
  messages: [
    { role: "system", content: "You are the bank's voice agent." },
    { role: "assistant", content: "Hello, how can I help?" },
    { role: "user", content: "What is the balance of account 123?" },
    {
      role: "assistant",
      content: "",
      toolCalls: [{ id: "call_1", name: "get_balance", arguments: '{"account":"123"}' }],
    },
    { role: "tool", toolCallId: "call_1", name: "get_balance", content: '{"balance":100}' },
  ],
  tools: [
    {
      name: "get_balance",
      description: "The balance of an account",
      parameters: {
        type: "object",
        properties: { account: { type: "string", description: "The account number" } },
        required: ["account"],
      },
    },
  ],
  temperature: 0.3,
  maxOutputTokens: 200,
};

export type SseItem = string | { event?: string; data: string };

/** An SSE body as a server writes it: per event its `event:` and `data:` lines, then a blank line. */
export function sseText(items: readonly SseItem[], eol = "\n"): string {
  return items
    .map((item) => {
      const e = typeof item === "string" ? { data: item } : item;
      return `${e.event ? `event: ${e.event}${eol}` : ""}data: ${e.data}${eol}${eol}`;
    })
    .join("");
}

/** `data:` lines of JSON objects, as most providers send them. */
export const jsonEvents = (...objects: unknown[]): SseItem[] => objects.map((o) => JSON.stringify(o));

/**
 * A body that hands `text` over in pieces of `size` bytes, so that events, lines and UTF-8 sequences
 * are split across reads as on a real connection, then ends, or fails (a dropped connection).
 */
export function byteStream(text: string, options: { size?: number; fail?: Error } = {}): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  const size = options.size ?? 7;
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at < bytes.length) {
        controller.enqueue(bytes.slice(at, at + size));
        at += size;
      } else if (options.fail) controller.error(options.fail);
      else controller.close();
    },
  });
}

/** A body that sends `text` and then nothing more, never ending: a stalled stream. */
export function stalledStream(text: string): ReadableStream<Uint8Array> {
  let sent = false;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent) return new Promise<void>(() => {});
      sent = true;
      controller.enqueue(new TextEncoder().encode(text));
    },
  });
}

export function sseResponse(body: string | ReadableStream<Uint8Array>, headers: Record<string, string> = {}): Response {
  return new Response(typeof body === "string" ? byteStream(body) : body, {
    status: 200,
    headers: { "Content-Type": "text/event-stream; charset=utf-8", ...headers },
  });
}

export async function collect(events: AsyncIterable<LlmEvent>): Promise<LlmEvent[]> {
  const out: LlmEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

/** The ProviderError a stream fails with. */
export async function streamFailure(events: AsyncIterable<LlmEvent>): Promise<ProviderError> {
  const err = await collect(events).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

/** The text of a list of events, joined. */
export const textOf = (events: readonly LlmEvent[]) => events.map((e) => (e.type === "text" ? e.text : "")).join("");

export const live = () => new AbortController().signal;
