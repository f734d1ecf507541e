/**
 * Twilio Media Streams on the call stream's state machine (src/pipeline/live/live-stream.ts): the
 * StreamAdapter of sockets tagged TWILIO_STREAM_TAG. Twilio's JSON messages
 * (src/telephony/media-messages.ts) in, Twilio's messages out:
 *
 *   connected → nothing (the first message; it carries no call data).
 *   start     → checks customParameters.callId is the call the socket was opened for (the URL path
 *               chose the Durable Object), keeps streamSid/callSid, and starts the stream as a
 *               mulaw 8 kHz stream with spoken replies and the default VAD.
 *   media     → its base64 mu-law payload is one frame of caller audio (inbound track only), the
 *               same path as a binary frame of our protocol: endpointing, keys in the audio,
 *               speech turns, barge-in.
 *   dtmf      → one keypad key, collected like keys heard in the audio (until `#`, 32 keys or
 *               DTMF_INTERDIGIT_MS of caller audio). Twilio may also leave the key's tones in the
 *               audio: a key both reported and heard within 1.5 s of stream time counts once.
 *   mark      → the echo of a mark we sent: that sentence's audio has played (or a `clear` dropped
 *               it, after the barge-in that sent the clear was decided). Counted per reply, so
 *               a barge-in keeps exactly the sentences Twilio confirmed (playback.ts).
 *   stop      → the caller hung up: the call ends (and the socket closes).
 *
 * Out: each synthesised sentence of a reply as `media` messages of 20 ms (160 bytes of mu-law),
 * sent piece by piece as a streaming engine synthesises it, then a `mark` named `<turnId>.<n>`;
 * barge-in (`interrupted`) as `clear`, which drops what Twilio has buffered. Our protocol's other
 * events (transcript, reply, metrics...) have no Twilio equivalent and are not sent; problems are
 * logged. The turns and their history are the call's, as for any other stream (GET
 * /api/v1/calls/{callId} shows them).
 */
import { chunkFrames } from "../../stream/frames";
import type { LiveStream, StreamAdapter } from "./live-stream";
import type { StartSettings } from "./stream-state";
import type { SentencePart } from "../types";
import { log } from "../../observability/log";
import { CLOSE, vadSettingsSchema, type ServerMessage } from "../../stream/protocol";
import {
  clearMessage,
  markMessage,
  mediaMessage,
  mediaPayloadBytes,
  parseTwilioMessage,
} from "../../telephony/media-messages";

/** The custom <Parameter> carrying our call id (the TwiML of the voice webhook sets it). */
export const CALL_ID_PARAMETER = "callId";

/** Twilio's media format, both ways: mu-law, 8 kHz, mono, 20 ms frames. */
const TWILIO_FRAME_MS = 20;

function startSettings(): StartSettings {
  return { format: "mulaw", sampleRate: 8000, reply: "audio", vad: vadSettingsSchema.parse({}) };
}

/** A mark `<turnId>.<n>` came back: one more sentence of that reply has played. */
function markPlayed(stream: LiveStream, name: string): void {
  const state = stream.attachment.twilio;
  const dot = name.lastIndexOf(".");
  if (!state || dot <= 0) return;
  const turnId = name.slice(0, dot);
  const sentences = state.played?.turnId === turnId ? state.played.sentences + 1 : 1;
  stream.setTwilio({ ...state, played: { turnId, sentences } });
}

export const twilioAdapter: StreamAdapter = {
  async receive(stream: LiveStream, message: string | ArrayBuffer): Promise<void> {
    const parsed = parseTwilioMessage(message);
    const event = parsed.ok ? parsed.message.event : undefined;
    // `media` is caller audio, `mark` the echo of ours, `stop` the hang-up: anything else is a
    // control message, counted against the stream's own rate (refusals are logged, as problems are).
    if (event !== "media" && event !== "mark" && event !== "stop" && !stream.admitControl()) return;
    if (!parsed.ok) {
      const { kind, detail } = parsed.error;
      // Twilio may add events; a new one is not a reason to drop the call.
      log("twilio_stream_bad_message", { kind, detail }, kind === "unknown_event" ? "info" : "warn");
      if (kind !== "unknown_event" && !stream.attachment.start) stream.close(CLOSE.invalidPayload, `invalid ${kind}`);
      return;
    }
    const m = parsed.message;
    switch (m.event) {
      case "connected":
        return;
      case "mark":
        return markPlayed(stream, m.mark.name);
      case "start": {
        if (stream.attachment.start) {
          log(
            "twilio_stream_bad_message",
            { kind: "second_start", detail: "a second start message was ignored" },
            "warn",
          );
          return;
        }
        const callId = m.start.customParameters[CALL_ID_PARAMETER];
        if (callId !== stream.attachment.callId) {
          log(
            "twilio_stream_call_mismatch",
            { callId: stream.attachment.callId, parameter: callId === undefined ? "missing" : "different" },
            "warn",
          );
          stream.close(CLOSE.policyViolation, "call id mismatch");
          return;
        }
        stream.setTwilio({
          ...(stream.attachment.twilio ?? { marks: 0 }),
          streamSid: m.streamSid,
          callSid: m.start.callSid,
        });
        stream.begin(startSettings());
        return;
      }
      case "media":
        if (m.media.track !== "inbound") return;
        return stream.receiveAudio(mediaPayloadBytes(m));
      case "dtmf":
        return stream.key(m.dtmf.digit);
      case "stop":
        return stream.stopCall();
    }
  },

  event(stream: LiveStream, message: ServerMessage): void {
    const sid = stream.attachment.twilio?.streamSid;
    if (message.type === "interrupted") {
      if (sid) stream.sendRaw(clearMessage(sid));
    } else if (message.type === "error") {
      log(
        "twilio_stream_problem",
        { status: message.status, code: message.code, detail: message.detail },
        message.status >= 500 ? "error" : "warn",
      );
    }
  },

  sentence(stream: LiveStream, turnId: string, bytes: Uint8Array, part?: SentencePart): void {
    const state = stream.attachment.twilio;
    const sid = state?.streamSid;
    // A streamed sentence gets its mark after its last piece (which may be empty), not after each piece.
    if (!state || !sid || (bytes.length === 0 && part === undefined)) return;
    for (const frame of chunkFrames(bytes, "mulaw", 8000, TWILIO_FRAME_MS)) stream.sendRaw(mediaMessage(sid, frame));
    if (part === "more") return;
    const marks = state.marks + 1;
    stream.setTwilio({ ...state, marks });
    stream.sendRaw(markMessage(sid, `${turnId}.${marks}`));
  },
};
