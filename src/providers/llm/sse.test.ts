import { describe, expect, it } from "vitest";
import { ProviderError } from "../errors";
import { MAX_EVENT_CHARS, sseEvents, type SseEvent } from "./sse";
import { byteStream, live, sseResponse } from "./test-support";

async function all(source: Parameters<typeof sseEvents>[0], signal = live()): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  for await (const e of sseEvents(source, "p", signal)) out.push(e);
  return out;
}

describe("sseEvents", () => {
  it("parses events split anywhere, with CR, LF or CRLF ends, comments, multi-line data, a BOM and UTF-8", async () => {
    const text =
      '\uFEFF: keep-alive\r\nevent: message_start\r\ndata: {"a":1}\r\n\r\n' +
      "data: line one\ndata: line two\n\nid: 7\rdata: é€😀\r\r";
    for (const size of [1, 2, 5, 1000]) {
      expect(await all(byteStream(text, { size }))).toEqual([
        { event: "message_start", data: '{"a":1}', id: undefined },
        { event: undefined, data: "line one\nline two", id: undefined },
        { event: undefined, data: "é€😀", id: "7" },
      ]);
    }
  });

  it("delivers a last event whose closing blank line never came", async () => {
    expect((await all(sseResponse("data: 1\n\ndata: [DONE]"))).map((e) => e.data)).toEqual(["1", "[DONE]"]);
  });

  it("reports a dropped connection, a missing body and an oversized event as invalid_response", async () => {
    const failures = [
      all(byteStream("data: 1\n\ndata: 2", { fail: new Error("Network connection lost.") })),
      all(null),
      all(byteStream(`data: ${"x".repeat(MAX_EVENT_CHARS + 10)}`, { size: 65_536 })),
    ];
    for (const failure of failures) {
      const err = await failure.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ProviderError);
      expect((err as ProviderError).kind).toBe("invalid_response");
    }
  });

  it("cancels the body when the consumer stops early or the signal aborts", async () => {
    let cancelled = 0;
    const endless = () =>
      new ReadableStream<Uint8Array>({
        pull: (c) => c.enqueue(new TextEncoder().encode("data: x\n\n")),
        cancel: () => {
          cancelled++;
        },
      });
    for await (const _ of sseEvents(endless(), "p", live())) break;
    expect(cancelled).toBe(1);

    const controller = new AbortController();
    const events = sseEvents(endless(), "p", controller.signal);
    await events.next();
    controller.abort();
    await expect(events.next()).rejects.toMatchObject({ kind: "permanent" });
    expect(cancelled).toBe(2);
  });
});
