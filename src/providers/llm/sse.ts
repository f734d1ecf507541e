/**
 * Server-sent events of a streamed model answer, parsed by eventsource-parser (never by splitting
 * lines here: SSE allows CR, LF and CRLF line ends, multi-line `data:`, comments and a BOM, and a
 * network chunk may end anywhere, even inside a UTF-8 sequence).
 *
 * What this layer can tell, it reports as a ProviderError of the provider: a body that fails while
 * being read (the connection dropped), an event larger than MAX_EVENT_CHARS, and a caller's abort.
 * Whether a stream that ended cleanly was complete is the protocol's business ([DONE],
 * message_stop, a finishReason), so each adapter checks that itself.
 */
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { abortRace } from "../../lib/abortable";
import { errorMessage } from "../../lib/errors";
import { ProviderError } from "../errors";

export type SseEvent = EventSourceMessage;

/**
 * The largest event (or unterminated line) buffered, in characters. A whole answer is a few kB; a
 * megabyte without an event boundary is a server that is not speaking SSE, and must not grow the
 * isolate's memory without bound.
 */
export const MAX_EVENT_CHARS = 1 << 20;

/**
 * The events of `source` (a fetch Response, or the ReadableStream the AI binding returns), in
 * order. Stops reading and cancels the body when the consumer stops early or `signal` aborts; an
 * abort rejects at once even if the body ignores it (a binding's stream may).
 *
 * At the end of the body, an event whose closing blank line never came is still delivered: some
 * servers end with `data: [DONE]\n`. If the stream was cut inside an event, its JSON is incomplete
 * and the adapter reports it as malformed; if it was cut between events, the adapter sees no end
 * marker. Either way a cut stream is an invalid_response, never a silently short answer.
 */
export async function* sseEvents(
  source: Response | ReadableStream<Uint8Array> | null,
  provider: string,
  signal: AbortSignal,
): AsyncGenerator<SseEvent, void, undefined> {
  const body = source instanceof Response ? source.body : source;
  if (!body) throw new ProviderError(provider, "invalid_response", "the answer has no body to stream");
  const parsed: SseEvent[] = [];
  let oversized = false;
  const parser = createParser({
    maxBufferSize: MAX_EVENT_CHARS,
    onEvent: (event) => parsed.push(event),
    // Unknown fields and bad `retry:` values are ignored, as the SSE standard says; only an
    // oversized buffer stops the stream.
    onError: (error) => {
      if (error.type === "max-buffer-size-exceeded") oversized = true;
    },
  });
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let finished = false;
  const untilCut = abortRace(signal);
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await untilCut(reader.read());
      } catch (err) {
        if (signal.aborted) throw aborted(provider, signal);
        throw new ProviderError(provider, "invalid_response", `the stream was cut: ${errorMessage(err)}`, {
          cause: err,
        });
      }
      if (chunk.done) break;
      parser.feed(decoder.decode(chunk.value, { stream: true }));
      if (oversized)
        throw new ProviderError(provider, "invalid_response", `an event is longer than ${MAX_EVENT_CHARS} characters`);
      yield* parsed.splice(0);
    }
    finished = true;
    // Ends a last line and a last event that the server left open (see above).
    parser.feed(`${decoder.decode()}\n\n`);
    yield* parsed.splice(0);
  } finally {
    // Tells the server we are done (a fetch body closes its connection). Not after a clean end:
    // there is nothing left to cancel.
    if (!finished) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/** The caller's abort (or its deadline), as adapters report it: not the provider's fault. */
export function aborted(provider: string, signal: AbortSignal): ProviderError {
  return new ProviderError(provider, "permanent", "the stream was aborted by the caller", { cause: signal.reason });
}
