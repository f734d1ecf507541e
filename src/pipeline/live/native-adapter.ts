import { chunkFrames } from "../../stream/frames";
import { CLOSE, parseClientMessage } from "../../stream/protocol";
import type { LiveStream, StreamAdapter } from "./live-stream";

/** Reply audio frame length. */
const REPLY_FRAME_MS = 20;

/**
 * Our own wire protocol (src/stream/protocol.ts) on the stream's state machine: JSON text
 * messages (`start`, `text`, `dtmf`, `stop`) and binary frames of caller audio in; the stream's
 * events as JSON and reply audio as binary frames of REPLY_FRAME_MS out.
 */
export const nativeAdapter: StreamAdapter = {
  async receive(stream: LiveStream, message: string | ArrayBuffer): Promise<void> {
    if (typeof message !== "string") return stream.receiveAudio(new Uint8Array(message));
    const parsed = parseClientMessage(message);
    // Every text message but `stop` is a control message, the refused ones included (each is answered).
    if (!(parsed.ok && parsed.message.type === "stop") && !stream.admitControl()) return;
    if (!parsed.ok) {
      const { code, detail } = parsed;
      if (code === "message_too_large")
        return stream.fail({ status: 413, code: "payload_too_large", detail }, CLOSE.tooBig);
      if (code === "invalid_json")
        return stream.fail({ status: 400, code: "invalid_json", detail }, CLOSE.invalidPayload);
      // A bad `start` (or anything before one) leaves no usable stream; a bad text or dtmf message
      // (or a type this server does not know) is refused and the stream goes on.
      if (!stream.attachment.start || typeOf(message) === "start")
        return stream.fail({ status: 400, code, detail }, CLOSE.invalidPayload);
      return stream.problem({ status: 400, code, detail });
    }
    const m = parsed.message;
    switch (m.type) {
      case "start": {
        if (stream.attachment.start) {
          const detail =
            "The stream was already started; send `start` once, as the first " +
            "message. Open a new stream to change the audio format.";
          return stream.fail({ status: 409, code: "already_started", detail }, CLOSE.policyViolation);
        }
        stream.begin({ format: m.format, sampleRate: m.sampleRate, reply: m.reply, vad: m.vad, bargeIn: m.bargeIn });
        return;
      }
      case "stop":
        return stream.stopCall();
      case "text":
        return stream.typed(m.text);
      case "dtmf":
        return stream.keyed(m.digits);
    }
  },

  event(stream, message): void {
    stream.sendRaw(JSON.stringify(message));
  },

  sentence(stream, _turnId, bytes): void {
    const start = stream.attachment.start;
    if (!start) return;
    for (const frame of chunkFrames(bytes, start.format, start.sampleRate, REPLY_FRAME_MS)) stream.sendRaw(frame);
  },
};

/** The `type` of a JSON message, if it has one (for a message the parser refused). */
function typeOf(text: string): unknown {
  try {
    return (JSON.parse(text) as { type?: unknown }).type;
  } catch {
    return undefined;
  }
}
