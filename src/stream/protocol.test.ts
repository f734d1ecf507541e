import { describe, expect, it } from "vitest";
import committedSchema from "../../docs/stream-protocol.schema.json";
import {
  CLOSE,
  MAX_TEXT_MESSAGE_BYTES,
  STREAM_SCHEMA_REGENERATE,
  type ClientMessage,
  type ServerMessage,
  parseClientMessage,
  serverMessageSchema,
  streamProtocolJsonSchema,
} from "./protocol";

function accepted(message: unknown): ClientMessage {
  const result = parseClientMessage(JSON.stringify(message));
  if (!result.ok) throw new Error(`refused: ${result.detail}`);
  return result.message;
}

function refused(text: string): { code: string; detail: string } {
  const result = parseClientMessage(text);
  if (result.ok) throw new Error(`accepted: ${JSON.stringify(result.message)}`);
  return result;
}

describe("parseClientMessage: valid messages", () => {
  it("fills in start's defaults: reply audio, VAD -40 dBFS / 120 ms / 600 ms, barge-in 2 words / 600 ms", () => {
    expect(accepted({ type: "start", format: "mulaw", sampleRate: 8000 })).toEqual({
      type: "start",
      format: "mulaw",
      sampleRate: 8000,
      reply: "audio",
      vad: { thresholdDbfs: -40, minSpeechMs: 120, endSilenceMs: 600 },
      bargeIn: { minWords: 2, minSpeechMs: 600 },
    });
  });

  it("takes barge-in settings, each optional, and refuses them out of range or misspelt", () => {
    const start = accepted({ type: "start", format: "pcm16", sampleRate: 16000, bargeIn: { minWords: 3 } });
    expect(start.type === "start" && start.bargeIn).toEqual({ minWords: 3, minSpeechMs: 600 });
    const refused = (bargeIn: unknown) =>
      parseClientMessage(JSON.stringify({ type: "start", format: "pcm16", sampleRate: 16000, bargeIn }));
    expect(refused({ minWords: 0 })).toMatchObject({ ok: false, code: "invalid_message" });
    expect(refused({ minSpeechMs: 50 })).toMatchObject({
      ok: false,
      detail: expect.stringContaining("bargeIn.minSpeechMs"),
    });
    expect(refused({ minword: 2 })).toMatchObject({ ok: false, detail: expect.stringContaining('"bargeIn.minword"') });
  });

  it("keeps explicit start settings and defaults only the missing VAD fields", () => {
    expect(
      accepted({ type: "start", format: "pcm16", sampleRate: 24000, reply: "text", vad: { endSilenceMs: 900 } }),
    ).toEqual({
      type: "start",
      format: "pcm16",
      sampleRate: 24000,
      reply: "text",
      vad: { thresholdDbfs: -40, minSpeechMs: 120, endSilenceMs: 900 },
      bargeIn: { minWords: 2, minSpeechMs: 600 },
    });
    const edges = accepted({
      type: "start",
      format: "pcm16",
      sampleRate: 16000,
      vad: { thresholdDbfs: -80, minSpeechMs: 2000, endSilenceMs: 200 },
    });
    expect(edges.type === "start" && edges.vad).toEqual({ thresholdDbfs: -80, minSpeechMs: 2000, endSilenceMs: 200 });
  });

  it("accepts text, dtmf and stop", () => {
    expect(accepted({ type: "text", text: "What is my balance?" })).toEqual({
      type: "text",
      text: "What is my balance?",
    });
    expect(accepted({ type: "text", text: "x".repeat(2000) })).toMatchObject({ type: "text" });
    expect(accepted({ type: "dtmf", digits: "0123456789*#ABCD" })).toEqual({
      type: "dtmf",
      digits: "0123456789*#ABCD",
    });
    expect(accepted({ type: "stop" })).toEqual({ type: "stop" });
  });
});

describe("parseClientMessage: refusals name the problem", () => {
  it("bad JSON", () => {
    const r = refused("{type: start}");
    expect(r.code).toBe("invalid_json");
    expect(r.detail).toMatch(/not valid JSON/);
  });

  it("not an object, no type, unknown type", () => {
    expect(refused("[1,2]")).toMatchObject({ code: "invalid_message", detail: expect.stringContaining("JSON object") });
    expect(refused("null").code).toBe("invalid_message");
    expect(refused('{"format":"pcm16"}')).toMatchObject({
      code: "invalid_message",
      detail: expect.stringContaining('no "type" field'),
    });
    const r = refused('{"type":"hello"}');
    expect(r.code).toBe("unknown_message_type");
    expect(r.detail).toContain('"hello"');
    expect(r.detail).toContain('"start", "text", "dtmf", "stop"');
    expect(refused('{"type":"toString"}').code).toBe("unknown_message_type");
    expect(refused('{"type":3}').code).toBe("unknown_message_type");
  });

  it.each([
    [{ type: "start", format: "wav", sampleRate: 8000 }, 'field "format"', "pcm16"],
    [{ type: "start", format: "pcm16", sampleRate: 44100 }, 'field "sampleRate"', "8000, 16000 or 24000"],
    [{ type: "start", format: "pcm16", sampleRate: "16000" }, 'field "sampleRate"', '(got "16000")'],
    [{ type: "start", format: "pcm16" }, 'field "sampleRate" is required', ""],
    [{ type: "start", format: "pcm16", sampleRate: 8000, reply: "video" }, 'field "reply"', '"audio" or "text"'],
    [
      { type: "start", format: "pcm16", sampleRate: 8000, vad: { thresholdDbfs: -5 } },
      'field "vad.thresholdDbfs"',
      "-80 to -10",
    ],
    [
      { type: "start", format: "pcm16", sampleRate: 8000, vad: { minSpeechMs: 30 } },
      'field "vad.minSpeechMs"',
      "40 to 2000",
    ],
    [
      { type: "start", format: "pcm16", sampleRate: 8000, vad: { minSpeechMs: 100.5 } },
      'field "vad.minSpeechMs"',
      "whole number",
    ],
    [
      { type: "start", format: "pcm16", sampleRate: 8000, vad: { endSilenceMs: 5000 } },
      'field "vad.endSilenceMs"',
      "200 to 3000",
    ],
    [
      { type: "start", format: "pcm16", sampleRate: 8000, vad: { endSilence: 800 } },
      'unknown field "vad.endSilence"',
      "",
    ],
    [{ type: "start", format: "pcm16", sampleRate: 8000, vad: "fast" }, 'field "vad"', "object"],
    [{ type: "start", format: "pcm16", sampleRate: 8000, rate: 8000 }, 'unknown field "rate"', ""],
    [{ type: "text", text: "" }, 'field "text"', "1 to 2000"],
    [{ type: "text", text: "   " }, 'field "text"', "blank"],
    [{ type: "text", text: "x".repeat(2001) }, 'field "text"', "at most 2000"],
    [{ type: "text" }, 'field "text" is required', ""],
    [{ type: "dtmf", digits: "12x" }, 'field "digits"', '(got "12x")'],
    [{ type: "dtmf", digits: "" }, 'field "digits"', "0-9, *, #, A-D"],
    [{ type: "dtmf", digits: "1".repeat(33) }, 'field "digits"', "1 to 32"],
    [{ type: "stop", reason: "bye" }, 'unknown field "reason"', ""],
  ])("refuses %j: %s", (message, field, hint) => {
    const r = refused(JSON.stringify(message));
    expect(r.code).toBe("invalid_message");
    expect(r.detail).toContain(`Invalid "${message.type}" message`);
    expect(r.detail).toContain(field);
    expect(r.detail).toContain(hint);
  });

  it("refuses a message over 8 KiB (counted in UTF-8 bytes) before parsing it", () => {
    const ascii = JSON.stringify({ type: "text", text: "x".repeat(MAX_TEXT_MESSAGE_BYTES) });
    expect(refused(ascii).code).toBe("message_too_large");
    // 2000 three-byte characters: within the 2000-character limit and 6 KB of UTF-8, so accepted.
    expect(accepted({ type: "text", text: "€".repeat(2000) })).toMatchObject({ type: "text" });
    const r = refused(JSON.stringify({ type: "text", text: "€".repeat(2731) }));
    expect(r.code).toBe("message_too_large");
    expect(r.detail).toContain(`${MAX_TEXT_MESSAGE_BYTES} bytes; this one has ${2731 * 3 + 25}`);
  });
});

describe("server messages", () => {
  it("accepts one of each kind and refuses an unknown type", () => {
    const messages: ServerMessage[] = [
      {
        type: "ready",
        callId: "c1",
        format: "mulaw",
        sampleRate: 8000,
        vad: { thresholdDbfs: -40, minSpeechMs: 120, endSilenceMs: 600 },
      },
      { type: "speech_started", atMs: 320 },
      { type: "transcript", text: "my balance", final: true, source: "speech", turnId: "t1" },
      { type: "transcript", text: "my bal", final: false, source: "speech" },
      { type: "dtmf", digit: "#" },
      { type: "intent", turnId: "t1", name: "check_balance", confidence: 0.92 },
      { type: "reply", turnId: "t1", text: "Your balance is 42 dollars." },
      { type: "reply_done", turnId: "t1" },
      { type: "interrupted", turnId: "t1", spokenText: "Your balance" },
      { type: "metrics", turnId: "t1", sttMs: 210, nlpMs: 3, ttsMs: 180, firstAudioMs: null },
      { type: "error", status: 400, code: "invalid_message", title: "Bad Request", detail: "..." },
      { type: "ended", reason: "stop" },
    ];
    for (const m of messages) expect(serverMessageSchema.parse(m)).toEqual(m);
    expect(serverMessageSchema.safeParse({ type: "pong" }).success).toBe(false);
    expect(serverMessageSchema.safeParse({ type: "dtmf", digit: "12" }).success).toBe(false);
  });
});

describe("close codes", () => {
  it("uses the standard codes, and 4xxx codes that mirror HTTP statuses", () => {
    expect(CLOSE).toEqual({
      normal: 1000,
      unsupportedData: 1003,
      invalidPayload: 1007,
      policyViolation: 1008,
      tooBig: 1009,
      internalError: 1011,
      callEnded: 4410,
      notFound: 4404,
    });
  });
});

describe("docs/stream-protocol.schema.json", () => {
  it("is what streamProtocolJsonSchema() generates", () => {
    expect(
      committedSchema,
      `docs/stream-protocol.schema.json is stale; regenerate it with:\n  ${STREAM_SCHEMA_REGENERATE}\n`,
    ).toEqual(streamProtocolJsonSchema());
  });

  it("documents every client and server message type", () => {
    const { client, server } = streamProtocolJsonSchema();
    const types = (s: Record<string, unknown>): unknown[] =>
      (s.oneOf as { properties: { type: { const: unknown } } }[]).map((o) => o.properties.type.const);
    expect(types(client)).toEqual(["start", "text", "dtmf", "stop"]);
    expect(types(server)).toEqual([
      "ready",
      "speech_started",
      "transcript",
      "dtmf",
      "intent",
      "reply",
      "reply_delta",
      "tool_call",
      "transfer",
      "reply_done",
      "interrupted",
      "metrics",
      "error",
      "ended",
    ]);
  });
});
