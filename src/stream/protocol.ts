/**
 * The live call stream's wire protocol: one WebSocket per call, JSON text messages for control and
 * events, binary messages for audio. Shared by the server, the typed client and the console, and
 * published as JSON Schema in docs/stream-protocol.schema.json (see streamProtocolJsonSchema).
 *
 * Client → server
 *   text:   start (first, exactly once), text, dtmf, stop; see clientMessageSchema.
 *   binary: raw caller audio in the format and rate given by `start` (pcm16 = little-endian mono
 *           signed 16-bit; mulaw = G.711 µ-law bytes), at most MAX_AUDIO_FRAME_BYTES per frame, any
 *           duration (20 ms is typical).
 * Server → client
 *   text:   ready, speech_started, transcript, dtmf, intent, reply_delta, tool_call, reply,
 *           reply_done, interrupted, metrics, error, ended; see server-messages.ts.
 *   binary: reply audio, in the client's format and sample rate.
 *
 * Client messages are strict (an unknown or misspelt field is an error that names it, not a
 * silently ignored option). Server messages are documented open: the server may add fields, so a
 * client must ignore fields it does not know.
 *
 * This module imports nothing but zod, so Node can load it directly to regenerate the JSON Schema
 * (the command is in STREAM_SCHEMA_REGENERATE).
 */
import { z } from "zod";
import { errorMessage } from "../lib/errors";
import { textProblem } from "../lib/text";
import { serverMessageSchema } from "./server-messages";
import {
  bargeInSettingsSchema,
  dtmfDigits,
  streamFormatSchema,
  streamSampleRateSchema,
  vadSettingsSchema,
} from "./fields";

/**
 * Largest JSON text message accepted from a client, in UTF-8 bytes (a 2000-character text turn fits with room to
 * spare).
 */
export const MAX_TEXT_MESSAGE_BYTES = 8 * 1024;
/** Largest binary audio frame accepted from a client: 64 KiB is 2 s of pcm16 at 16 kHz, far above the usual 20 ms. */
export const MAX_AUDIO_FRAME_BYTES = 64 * 1024;
/** Longest typed caller turn, in characters (UTF-16 code units, as JavaScript counts them). */
export const MAX_TEXT_CHARS = 2000;

/** WebSocket close codes the stream uses (RFC 6455 §7.4; 4000-4999 are ours). */
export const CLOSE = {
  /** The stream ended as agreed: the client sent `stop`, or the call ended after an `ended` message. */
  normal: 1000,
  /** A binary frame arrived before `start`, or a frame type the stream cannot use. */
  unsupportedData: 1003,
  /**
   * A message that is not what it claims: malformed JSON, an unknown message type, a bad field, a pcm16 frame with an
   * odd byte count.
   */
  invalidPayload: 1007,
  /**
   * The client broke the protocol's rules: no `start` in time, a second `start`, a rate limit, an unauthorised call.
   */
  policyViolation: 1008,
  /** A message over MAX_TEXT_MESSAGE_BYTES or MAX_AUDIO_FRAME_BYTES. */
  tooBig: 1009,
  /** The server failed; the `error` message sent before closing says what the client can do. */
  internalError: 1011,
  /** The call has ended (hung up, idle timeout, ended through the HTTP API); mirrors HTTP 410 Gone. */
  callEnded: 4410,
  /** No such call for this tenant; mirrors HTTP 404. */
  notFound: 4404,
} as const;
export type CloseCode = (typeof CLOSE)[keyof typeof CLOSE];

export { STREAM_FORMATS, STREAM_SAMPLE_RATES } from "./fields";
export const CLIENT_MESSAGE_TYPES = ["start", "text", "dtmf", "stop"] as const;

/** The command that rewrites docs/stream-protocol.schema.json from this module. */
export const STREAM_SCHEMA_REGENERATE = "node scripts/stream-schema.mjs";

export {
  bargeInSettingsSchema,
  dtmfDigit,
  dtmfDigits,
  streamFormatSchema,
  streamSampleRateSchema,
  vadSettingsSchema,
  type StreamFormat,
  type StreamSampleRate,
} from "./fields";

// ---------------------------------------------------------------------------------------------
// Client → server

export const startMessageSchema = z
  .strictObject({
    type: z.literal("start"),
    format: streamFormatSchema,
    sampleRate: streamSampleRateSchema,
    reply: z
      .enum(["audio", "text"], { error: 'must be "audio" or "text"' })
      .default("audio")
      .describe('"audio": replies are spoken (binary frames) and sent as text; "text": text only, no synthesis.'),
    // prefault, not default: an omitted `vad` is parsed as {}, so its fields get their own defaults.
    vad: vadSettingsSchema.prefault({}),
    bargeIn: bargeInSettingsSchema.prefault({}),
  })
  .describe("First message: the audio format of both directions. Binary frames before it are refused.");

export const textMessageSchema = z
  .strictObject({
    type: z.literal("text"),
    text: z
      .string({ error: `must be a string of 1 to ${MAX_TEXT_CHARS} characters` })
      .min(1, { error: `must be a string of 1 to ${MAX_TEXT_CHARS} characters` })
      .max(MAX_TEXT_CHARS, { error: `must be at most ${MAX_TEXT_CHARS} characters` })
      .refine((t) => t.trim().length > 0, { error: "must not be blank" })
      // The text rule every stored client string follows (src/lib/text.ts), as over HTTP.
      .superRefine((t, ctx) => {
        const problem = textProblem(t);
        if (problem) ctx.addIssue({ code: "custom", message: problem, input: t });
      }),
  })
  .describe("A typed caller turn, handled like a transcribed one.");

export const dtmfMessageSchema = z
  .strictObject({
    type: z.literal("dtmf"),
    digits: z
      .string({ error: "must be 1 to 32 keypad keys: 0-9, *, #, A-D" })
      .regex(dtmfDigits, { error: "must be 1 to 32 keypad keys: 0-9, *, #, A-D" }),
  })
  .describe("Keypad keys sent as data (in-band tones in the audio are detected by the server as well).");

export const stopMessageSchema = z
  .strictObject({ type: z.literal("stop") })
  .describe("Ends the stream and the caller's side of the call; the server answers `ended` and closes.");

export const clientMessageSchema = z.discriminatedUnion("type", [
  startMessageSchema,
  textMessageSchema,
  dtmfMessageSchema,
  stopMessageSchema,
]);

/** Messages as the server sees them after parsing (defaults filled in). */
export type ClientMessage = z.infer<typeof clientMessageSchema>;
/** Messages as a client may write them (optional fields may be left out). */
export type ClientMessageInput = z.input<typeof clientMessageSchema>;
export type StartMessage = z.infer<typeof startMessageSchema>;
export type VadSettings = z.infer<typeof vadSettingsSchema>;
export type BargeInSettings = z.infer<typeof bargeInSettingsSchema>;
export type TextMessage = z.infer<typeof textMessageSchema>;
export type DtmfMessage = z.infer<typeof dtmfMessageSchema>;
export type StopMessage = z.infer<typeof stopMessageSchema>;

// Server → client: server-messages.ts
export * from "./server-messages";

// ---------------------------------------------------------------------------------------------
// Parsing client text messages

/**
 * Why a client text message was refused. Suggested handling: message_too_large → `error` 413 and
 * close with CLOSE.tooBig; the others → `error` 400 (the stream may stay open, or close with
 * CLOSE.invalidPayload).
 */
export type ClientMessageErrorCode = "message_too_large" | "invalid_json" | "unknown_message_type" | "invalid_message";

export type ParseClientMessageResult =
  { ok: true; message: ClientMessage } | { ok: false; code: ClientMessageErrorCode; detail: string };

const MESSAGE_SCHEMAS = {
  start: startMessageSchema,
  text: textMessageSchema,
  dtmf: dtmfMessageSchema,
  stop: stopMessageSchema,
} as const;
const TYPE_LIST = CLIENT_MESSAGE_TYPES.map((t) => `"${t}"`).join(", ");
const utf8 = new TextEncoder();

/** Parses one client text message; `detail` tells a person what is wrong and names the field. */
export function parseClientMessage(text: string): ParseClientMessageResult {
  // A UTF-16 code unit is at most 3 UTF-8 bytes, so short messages skip the encoding.
  const size = text.length * 3 <= MAX_TEXT_MESSAGE_BYTES ? text.length : utf8.encode(text).length;
  if (size > MAX_TEXT_MESSAGE_BYTES) {
    return fail(
      "message_too_large",
      `Text messages are limited to ${MAX_TEXT_MESSAGE_BYTES} bytes; this one has ${size}. Send ` +
        `audio as binary frames, and typed text of at most ${MAX_TEXT_CHARS} characters.`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return fail(
      "invalid_json",
      `The message is not valid JSON (${errorMessage(err)}). Text ` +
        `messages must be JSON objects such as {"type":"stop"}; audio goes in binary frames.`,
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return fail(
      "invalid_message",
      `A message must be a JSON object with a "type" field (one of ${TYPE_LIST}); got ${describeJson(value)}.`,
    );
  }
  const type = (value as Record<string, unknown>).type;
  if (type === undefined)
    return fail("invalid_message", `The message has no "type" field; it must be one of ${TYPE_LIST}.`);
  if (typeof type !== "string" || !Object.hasOwn(MESSAGE_SCHEMAS, type)) {
    return fail(
      "unknown_message_type",
      `Unknown message type ${JSON.stringify(type)}: it must be one of ${TYPE_LIST}.`,
    );
  }
  const result = MESSAGE_SCHEMAS[type as keyof typeof MESSAGE_SCHEMAS].safeParse(value, { reportInput: true });
  if (result.success) return { ok: true, message: result.data };
  const problems = result.error.issues.slice(0, 3).map(describeIssue);
  const more = result.error.issues.length > 3 ? ` (and ${result.error.issues.length - 3} more)` : "";
  return fail("invalid_message", `Invalid "${type}" message: ${problems.join("; ")}${more}.`);
}

function fail(code: ClientMessageErrorCode, detail: string): ParseClientMessageResult {
  return { ok: false, code, detail };
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String).join(".");
  if (issue.code === "unrecognized_keys") {
    const names = issue.keys.map((k) => `"${path ? `${path}.` : ""}${k}"`).join(", ");
    return `unknown field${issue.keys.length > 1 ? "s" : ""} ${names}`;
  }
  // JSON has no undefined, so an undefined input is a missing field.
  if (issue.input === undefined && (issue.code === "invalid_type" || issue.code === "invalid_value"))
    return `field "${path}" is required`;
  const got = issue.input === undefined ? "" : ` (got ${describeJson(issue.input)})`;
  return path ? `field "${path}" ${issue.message}${got}` : `${issue.message}${got}`;
}

function describeJson(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 40 ? `${json.slice(0, 37)}...` : json;
}

// ---------------------------------------------------------------------------------------------
// JSON Schema

/**
 * The protocol as JSON Schema (draft 2020-12): `client` describes what a client may send (optional
 * fields optional, defaults noted), `server` what the server sends. Committed as
 * docs/stream-protocol.schema.json; a test keeps the two equal.
 */
export function streamProtocolJsonSchema(): {
  $comment: string;
  client: Record<string, unknown>;
  server: Record<string, unknown>;
} {
  return {
    $comment: `Generated from src/stream/protocol.ts; do not edit. Regenerate with: ${STREAM_SCHEMA_REGENERATE}`,
    client: z.toJSONSchema(clientMessageSchema, { io: "input" }),
    // "input": z.object is documented as open (no additionalProperties: false), so clients written
    // against this schema keep working when the server adds a field.
    server: z.toJSONSchema(serverMessageSchema, { io: "input" }),
  };
}
