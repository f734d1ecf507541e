import type { CallerPosition } from "../../call/caller";
import type { BargeInSettings, StreamFormat, StreamSampleRate, VadSettings } from "../../stream/protocol";
import type { StreamOpen } from "./stream-open";
import { realTimers, type Timers } from "../../lib/timers";

/** What a live stream keeps across hibernation, in its socket's attachment. */

export interface StartSettings {
  format: StreamFormat;
  sampleRate: StreamSampleRate;
  reply: "audio" | "text";
  vad: VadSettings;
  /** Absent in attachments written before it existed, and on the Twilio bridge: the defaults apply. */
  bargeIn?: BargeInSettings;
}

/** What a socket keeps across hibernation (serializeAttachment: small, structured-clonable). */
export interface StreamAttachment {
  v: 1;
  callId: string;
  requestId: string;
  actor?: string | undefined;
  caller?: CallerPosition | undefined;
  start?: StartSettings;
  /** Caller audio received since `start`, in samples: the stream's clock. */
  heard: number;
  /** Keypad keys heard in the audio and not yet sent as a turn. */
  digits: string;
  /** When (stream ms) the last key went down; -1: none yet. */
  lastDigitMs: number;
  /** The last reply's modelled playback: when (epoch ms) each sentence sent ends on the caller's side. */
  playback?: { turnId: string; ends: number[] };
  /** The stream is closing: later messages are ignored. */
  closing?: true;
  /** Keys reported by one source (audio, or the carrier's key events) not yet matched by the other. */
  keys?: { digit: string; atMs: number; source: KeySource }[];
  /** A Twilio Media Stream's state (src/pipeline/live/twilio-adapter.ts). */
  twilio?: TwilioStreamState;
}

/** Where a keypad key came from: heard in the caller's audio, or reported by the carrier (Twilio `dtmf`). */
export type KeySource = "audio" | "event";

export interface TwilioStreamState {
  /** From Twilio's `start`: the stream and call it belongs to. */
  streamSid?: string;
  callSid?: string;
  /** Marks sent so far (names are `<turnId>.<n>`). */
  marks: number;
  /** The call's greeting was spoken (or found not to be needed) on this stream. */
  greeted?: boolean;
  /** The sentences of the latest reply whose marks Twilio echoed: played (playback.ts). */
  played?: { turnId: string; sentences: number };
}

export function newAttachment(open: StreamOpen): StreamAttachment {
  const a: StreamAttachment = {
    v: 1,
    callId: open.callId,
    requestId: open.requestId,
    actor: open.actor,
    caller: open.caller,
    heard: 0,
    digits: "",
    lastDigitMs: -1,
  };
  if (open.twilio) a.twilio = { marks: 0 };
  return a;
}

/** Stream ms of a stream sample (or of an analyser's own ms, offset by where it started). */
export function streamMs(state: StreamAttachment, sample: number): number {
  return Math.round((sample * 1000) / (state.start?.sampleRate ?? 16000));
}

/** How long a clock-only change may wait before it is written to the attachment. */
export const CLOCK_SAVE_MS = 500;

/**
 * Writes a stream's state to its socket's attachment. A frame of audio, 50 a second each way, moves
 * only clocks (the samples heard, a reply sentence's modelled end); serialising the attachment for
 * each was a visible share of the call object's CPU with 25 streams (`npm run bench:stream --
 * --profile`). So those wait up to CLOCK_SAVE_MS (soon()) and everything else is written at once
 * (now()). Nothing is lost to hibernation: an object does not hibernate while a timer is pending,
 * so the last clocks are written before it can.
 */
export class AttachmentWriter {
  private timer: unknown;

  constructor(
    private readonly ws: WebSocket,
    private readonly state: StreamAttachment,
    private readonly timers: Timers = realTimers,
  ) {}

  now(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    try {
      this.ws.serializeAttachment(this.state);
    } catch {
      // A closed socket has nothing left to keep.
    }
  }

  soon(): void {
    this.timer ??= this.timers.setTimeout(() => this.now(), CLOCK_SAVE_MS);
  }

  /** now() when `more` than a clock moved, else soon(). */
  save(more: boolean): void {
    if (more) this.now();
    else this.soon();
  }
}
