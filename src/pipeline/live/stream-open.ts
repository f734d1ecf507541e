import type { CallerPosition } from "../../call/caller";

/**
 * How a live stream is opened: the Worker's route (src/http/routes/stream.ts, telephony.ts)
 * checks who opens it, then forwards the WebSocket upgrade to the call's object with that in a
 * header; the object's sockets carry a tag per wire protocol.
 */

/** Tag of the call stream's sockets (other WebSocket kinds on the object use their own tag). */
export const STREAM_TAG = "call-stream";
/** Tag of Twilio Media Streams sockets (src/pipeline/live/twilio-adapter.ts): the same machinery, Twilio's wire. */
export const TWILIO_STREAM_TAG = "twilio-stream";
/** How the Worker's route tells the object who opens a stream (see StreamOpen); set by the Worker only. */
export const STREAM_OPEN_HEADER = "X-Voice-Stream-Open";
/** Who opens the stream, as the Worker's route established it. */
export interface StreamOpen {
  tenantId: string;
  callId: string;
  requestId: string;
  /** The API key (id) behind the stream: it is the actor of the stream's turns in the audit log. */
  actor?: string | undefined;
  /** SHA-256 of the `?token=` presented, which the object redeems (absent: a Bearer key, checked by the Worker). */
  tokenHash?: string | undefined;
  caller?: CallerPosition | undefined;
  /** The stream is a Twilio Media Stream (the Worker checked Twilio's signature). */
  twilio?: true | undefined;
}

export function parseStreamOpen(header: string | null): StreamOpen | null {
  if (!header) return null;
  try {
    const v = JSON.parse(header) as Partial<StreamOpen>;
    if (typeof v.tenantId !== "string" || typeof v.callId !== "string" || typeof v.requestId !== "string") return null;
    return {
      tenantId: v.tenantId,
      callId: v.callId,
      requestId: v.requestId,
      actor: typeof v.actor === "string" ? v.actor : undefined,
      tokenHash: typeof v.tokenHash === "string" ? v.tokenHash : undefined,
      caller: v.caller && typeof v.caller === "object" ? { lat: v.caller.lat, lon: v.caller.lon } : undefined,
      twilio: v.twilio === true ? true : undefined,
    };
  } catch {
    return null;
  }
}
