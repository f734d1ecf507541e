/**
 * Twilio Media Streams WebSocket messages: schemas for what Twilio sends, builders for what we
 * send back on a bidirectional (<Connect><Stream>) stream.
 *
 * Shapes and field names are those of https://www.twilio.com/docs/voice/media-streams/websocket-messages:
 *  - connected {event, protocol, version}, the first message;
 *  - start {event, sequenceNumber, start: {streamSid, accountSid, callSid, tracks, customParameters,
 *    mediaFormat: {encoding: "audio/x-mulaw", sampleRate: 8000, channels: 1}}, streamSid}, sent once;
 *  - media {event, sequenceNumber, media: {track, chunk, timestamp, payload}, streamSid};
 *  - dtmf {event, streamSid, sequenceNumber, dtmf: {track: "inbound_track", digit}} (bidirectional only);
 *  - mark {event, sequenceNumber, streamSid, mark: {name}} (bidirectional only: the echo of a mark we sent,
 *    once the audio before it has played or a clear dropped it);
 *  - stop {event, sequenceNumber, streamSid, stop: {accountSid, callSid}}.
 * Twilio sends sequenceNumber, chunk and timestamp as JSON strings of digits and they stay strings
 * here; sampleRate and channels are JSON numbers. The docs say mediaFormat is always
 * audio/x-mulaw, 8000 Hz, 1 channel, and the bridge handles nothing else, so anything else fails
 * to parse rather than being played as noise. Unknown extra fields are dropped, not rejected.
 *
 * Outbound: media {event, streamSid, media: {payload}} (raw mulaw/8000, base64), mark
 * {event, streamSid, mark: {name}}, clear {event, streamSid} (drops buffered audio; Twilio then
 * echoes the pending marks).
 */
import { z } from "zod";
import { base64ToBytes, bytesToBase64 } from "../lib/base64";

/** A non-negative decimal integer carried as a JSON string, as Twilio sends its counters. */
const digits = z.string().regex(/^\d+$/, "expected a string of decimal digits");
const sid = z.string().min(1);
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const track = z.enum(["inbound", "outbound"]);

export const connectedMessageSchema = z.object({
  event: z.literal("connected"),
  protocol: z.string(),
  version: z.string(),
});

export const startMessageSchema = z.object({
  event: z.literal("start"),
  sequenceNumber: digits,
  start: z.object({
    streamSid: sid,
    accountSid: sid,
    callSid: sid,
    tracks: z.array(track),
    /** The <Parameter> values from the TwiML; absent is read as none. */
    customParameters: z.record(z.string(), z.string()).default(() => ({})),
    mediaFormat: z.object({
      encoding: z.literal("audio/x-mulaw"),
      sampleRate: z.literal(8000),
      channels: z.literal(1),
    }),
  }),
  streamSid: sid,
});

export const mediaMessageSchema = z.object({
  event: z.literal("media"),
  sequenceNumber: digits,
  media: z.object({
    track,
    chunk: digits,
    /** Milliseconds from the start of the stream. */
    timestamp: digits,
    /** Base64 of raw mu-law 8 kHz mono bytes. */
    payload: z.string().regex(BASE64, "expected base64"),
  }),
  streamSid: sid,
});

export const dtmfMessageSchema = z.object({
  event: z.literal("dtmf"),
  streamSid: sid,
  sequenceNumber: digits,
  dtmf: z.object({
    /** The docs: always "inbound_track". */
    track: z.string(),
    digit: z.string().regex(/^[0-9*#A-D]$/, "expected one DTMF key (0-9, *, #, A-D)"),
  }),
});

export const markMessageSchema = z.object({
  event: z.literal("mark"),
  sequenceNumber: digits,
  streamSid: sid,
  mark: z.object({ name: z.string() }),
});

export const stopMessageSchema = z.object({
  event: z.literal("stop"),
  sequenceNumber: digits,
  streamSid: sid,
  stop: z.object({ accountSid: sid, callSid: sid }),
});

export const twilioMessageSchema = z.discriminatedUnion("event", [
  connectedMessageSchema,
  startMessageSchema,
  mediaMessageSchema,
  dtmfMessageSchema,
  markMessageSchema,
  stopMessageSchema,
]);

export type TwilioConnectedMessage = z.output<typeof connectedMessageSchema>;
export type TwilioStartMessage = z.output<typeof startMessageSchema>;
export type TwilioMediaMessage = z.output<typeof mediaMessageSchema>;
export type TwilioDtmfMessage = z.output<typeof dtmfMessageSchema>;
export type TwilioMarkMessage = z.output<typeof markMessageSchema>;
export type TwilioStopMessage = z.output<typeof stopMessageSchema>;
export type TwilioMessage = z.output<typeof twilioMessageSchema>;
export type TwilioEvent = TwilioMessage["event"];

export const TWILIO_EVENTS: readonly TwilioEvent[] = ["connected", "start", "media", "dtmf", "mark", "stop"];

/**
 * Larger than any message Twilio documents (a 20 ms media frame is ~300 characters; a start
 * message carries custom parameters of under 500 characters each); bounds the work per frame.
 */
export const MAX_TWILIO_MESSAGE_CHARS = 256 * 1024;

export type TwilioMessageErrorKind =
  /** A binary WebSocket frame: Twilio sends JSON text frames only. */
  | "binary_frame"
  | "too_large"
  | "invalid_json"
  /** Valid JSON but not an object with a string `event`. */
  | "not_an_event"
  /** An `event` this module does not know; a caller may log and ignore it (Twilio may add events). */
  | "unknown_event"
  /** A known event whose fields are not the documented ones. */
  | "invalid_shape";

export interface TwilioMessageError {
  kind: TwilioMessageErrorKind;
  /** Names what is wrong and where; never echoes field values (they can hold call data). */
  detail: string;
  /** The `event` field, when there was a string one. */
  event?: string;
}

export type ParseResult = { ok: true; message: TwilioMessage } | { ok: false; error: TwilioMessageError };

const fail = (kind: TwilioMessageErrorKind, detail: string, event?: string): ParseResult => ({
  ok: false,
  error: event === undefined ? { kind, detail } : { kind, detail, event },
});

/** Parse one WebSocket frame from Twilio (pass `event.data` as is). */
export function parseTwilioMessage(data: string | ArrayBuffer | ArrayBufferView): ParseResult {
  if (typeof data !== "string")
    return fail("binary_frame", `binary frame of ${data.byteLength} bytes; Twilio sends JSON text frames`);
  if (data.length > MAX_TWILIO_MESSAGE_CHARS)
    return fail("too_large", `message of ${data.length} characters exceeds ${MAX_TWILIO_MESSAGE_CHARS}`);
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    // The SyntaxError text quotes the input, so it is not passed on.
    return fail("invalid_json", `not valid JSON (${data.length} characters)`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json))
    return fail("not_an_event", "not a JSON object");
  const event = (json as { event?: unknown }).event;
  if (typeof event !== "string") return fail("not_an_event", 'no string "event" field');
  if (!(TWILIO_EVENTS as readonly string[]).includes(event))
    return fail("unknown_event", `unknown event "${event.slice(0, 40)}"`, event.slice(0, 40));
  const parsed = twilioMessageSchema.safeParse(json);
  if (parsed.success) return { ok: true, message: parsed.data };
  const where = parsed.error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
    .join("; ");
  return fail("invalid_shape", `${event} message does not have the documented shape (${where})`, event);
}

/** The mu-law bytes of a media message. */
export function mediaPayloadBytes(message: TwilioMediaMessage): Uint8Array {
  return base64ToBytes(message.media.payload);
}

function checkStreamSid(streamSid: string): void {
  if (!streamSid) throw new TypeError("streamSid is empty");
}

/**
 * `{"event":"media","streamSid":…,"media":{"payload":<base64>}}`: audio for Twilio to play (raw mu-law, 8 kHz, mono,
 * no header).
 */
export function mediaMessage(streamSid: string, mulawBytes: Uint8Array): string {
  checkStreamSid(streamSid);
  if (mulawBytes.length === 0) throw new RangeError("mediaMessage: no audio bytes");
  return JSON.stringify({ event: "media", streamSid, media: { payload: bytesToBase64(mulawBytes) } });
}

/**
 * `{"event":"mark","streamSid":…,"mark":{"name":…}}`: Twilio echoes a mark with this name once the audio sent
 * before it has played.
 */
export function markMessage(streamSid: string, name: string): string {
  checkStreamSid(streamSid);
  if (!name) throw new TypeError("markMessage: the mark name is empty");
  return JSON.stringify({ event: "mark", streamSid, mark: { name } });
}

/**
 * `{"event":"clear","streamSid":…}`: drop the audio Twilio has buffered (barge-in); pending marks are echoed back.
 */
export function clearMessage(streamSid: string): string {
  checkStreamSid(streamSid);
  return JSON.stringify({ event: "clear", streamSid });
}
