/**
 * The live call stream on the call's Durable Object: one WebSocket per caller (accepted with the
 * hibernation API), caller audio in, events and reply audio out. The wire protocol is
 * src/stream/protocol.ts; this module is the per-socket state machine, and CallSession
 * (call-session.ts) runs the turns it asks for through the same pipeline and history as HTTP turns.
 *
 * Per socket:
 *   start         → `ready`; an Endpointer (energy VAD) and a DtmfListener are built for the format.
 *   binary frame  → decoded, fed to both, in arrival order, synchronously (no await before the
 *                   audio is analysed, so frames are never reordered):
 *                   - a keypad key → `dtmf` {digit} (not in a secure flow step), collected until `#`,
 *                     32 keys, or DTMF_INTERDIGIT_MS of caller audio without a new key: then one
 *                     keypad turn. Utterances during which keys were heard are not speech turns.
 *                   - speech_started → `speech_started` (barge-in, below); speech_ended → a speech
 *                     turn with the utterance's audio.
 *   text, dtmf    → a typed or keyed turn.
 *   stop          → the call ends: `ended` {reason: "stop"}, close 1000.
 *
 * A turn: transcript (final) → intent → reply {text} → reply audio, sentence by sentence (each
 * sentence is synthesised, then sent in 20 ms frames, before the next is synthesised) →
 * reply_done → metrics. Turns of one call (streamed or HTTP) run one at a time in arrival order;
 * caller audio keeps being analysed while a turn runs, which is what makes barge-in possible.
 *
 * Barge-in: the server cannot see the client's playback, so it models it: each sentence starts
 * playing when it arrives or when the previous one ends, whichever is later. Caller speech (or a
 * keypad key) once a reply's audio has started, while it is being sent or before the modelled end
 * of its audio, interrupts it: no further audio is sent, `interrupted` {turnId, spokenText} names
 * the sentences played to the end, and the call's history keeps only those, flagged `interrupted`
 * (in the turn's own row if it was not stored yet, else by rewriting that row: CallStore.reviseReply).
 *
 * Other wire protocols (Twilio Media Streams: src/pipeline/live/twilio-adapter.ts) plug in as a
 * StreamAdapter: it reads the socket's messages and drives the same state machine through
 * begin(), receiveAudio(), key() and stopCall(), and it writes the events and reply audio in its
 * own protocol. A socket without one speaks src/stream/protocol.ts.
 *
 * Hibernation: between turns nothing is pending (no timers, no promises), so the object can be
 * evicted with the socket open. What must survive lives in the socket's attachment
 * (StreamAttachment: the start settings, the stream clock, keypad keys not yet sent, the modelled
 * playback of the last reply). The endpointer and keypad detector are rebuilt on wake; what a
 * hibernation in the middle of an utterance loses is that utterance's audio so far, the noise-floor
 * estimate and a key press in progress (the runtime only hibernates after seconds without a
 * message, so a client that is streaming audio never loses anything).
 */
import { pcmDurationMs, type DecodedAudio } from "../../audio/decode";
import { DtmfListener, type DtmfDigit } from "../../audio/dtmf-stream";
import { AudioError } from "../../audio/errors";
import { bytesPerSample, chunkFrames, decodeFrame } from "../../stream/frames";
import { Endpointer, type EndpointEvent } from "../../audio/vad";
import { splitSentences } from "../../nlp/sentences";
import { log } from "../../observability/log";
import {
  CLOSE,
  parseClientMessage,
  type CloseCode,
  type ServerMessage,
  type StreamFormat,
  type StreamSampleRate,
  type VadSettings,
} from "../../stream/protocol";
import type { ReplyOptions, TurnPayload } from "../types";
import type { CallerPosition } from "../../call/caller";
import { errorMessage } from "../../lib/errors";

/** Tag of the call stream's sockets (other WebSocket kinds on the object use their own tag). */
export const STREAM_TAG = "call-stream";
/** Tag of Twilio Media Streams sockets (src/pipeline/live/twilio-adapter.ts): the same machinery, Twilio's wire. */
export const TWILIO_STREAM_TAG = "twilio-stream";
/**
 * A key reported both by the carrier (Twilio `dtmf`) and heard in the audio within this much stream time is one press.
 */
const KEY_ECHO_MS = 1500;
/** How the Worker's route tells the object who opens a stream (see StreamOpen); set by the Worker only. */
export const STREAM_OPEN_HEADER = "X-Voice-Stream-Open";
/** Keypad keys end their turn after this much caller audio without a new key (or at `#`). */
export const DTMF_INTERDIGIT_MS = 2500;
/** A turn takes at most this many keys (the protocol's `dtmf` message takes 32 as well). */
const MAX_DTMF_DIGITS = 32;
/** Speech starting this close after a key went down is that key's tone, not speech. */
const KEYPAD_ONSET_MS = 300;
/** Turns one socket may have waiting or running; more is a client flooding the call. */
export const MAX_PENDING_TURNS = 4;
/** Reply audio frame length. */
const REPLY_FRAME_MS = 20;
/** The modelled playback keeps at most this many sentence ends (a reply is a few sentences). */
const MAX_TRACKED_SENTENCES = 64;

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

export interface StartSettings {
  format: StreamFormat;
  sampleRate: StreamSampleRate;
  reply: "audio" | "text";
  vad: VadSettings;
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
}

/**
 * Another wire protocol on the same state machine: reads the socket's messages (instead of
 * src/stream/protocol.ts) and writes the stream's events and reply audio in its own messages.
 */
export interface StreamAdapter {
  receive(stream: LiveStream, message: string | ArrayBuffer): Promise<void>;
  /** One event of the stream (what protocol.ts would send as JSON); the adapter sends what its peer uses. */
  event(stream: LiveStream, message: ServerMessage): void;
  /** One synthesised sentence of reply audio, in the stream's format and rate. */
  sentence(stream: LiveStream, turnId: string, bytes: Uint8Array): void;
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

/** What the stream needs from its call object. */
export interface StreamHost {
  /** Wall clock, epoch ms (playback model). Tests move it. */
  now(): number;
  /** Whether the call's current flow step is secure (keypad input neither stored nor echoed). */
  secureStep(): boolean;
  /** Longest typed turn the deployment accepts, in characters. */
  maxTextChars(): number;
  /** Runs a caller turn in the call's turn order; reports through `stream` (a ReplyChannel). */
  turn(stream: LiveStream, payload: TurnPayload, endedAt: number): Promise<void>;
  /** The caller sent `stop`: ends the call (which closes this stream). */
  stop(stream: LiveStream): Promise<void>;
  /** A stored reply was cut short: only `spokenText` of it was played. */
  reviseReply(turnId: string, spokenText: string): Promise<void>;
  /** The stored reply text of a turn (the sentences of a hibernated playback), if any. */
  replyText(turnId: string): string | null;
}

/** What a turn's pipeline reports back to the stream that asked for it. */
export interface ReplyChannel {
  /** Reply settings for synthesis: the client's format and rate, or text only. */
  readonly replyOptions: ReplyOptions;
  understood(m: {
    turnId: string;
    transcript: { text: string; source: "text" | "dtmf" | "speech" };
    intent: { name: string; confidence: number };
    replyText: string;
  }): void;
  /** Sends one synthesised sentence (already in the client's format and rate). */
  audio(turnId: string, sentence: string, bytes: Uint8Array): void;
  /** True once the caller barged in on this turn's reply: send nothing more. */
  interrupted(turnId: string): boolean;
  /** Every sentence was sent (or synthesis stopped): `reply_done`, unless the reply was interrupted. */
  replyDone(turnId: string): void;
  /** What was played, when the reply was interrupted before the turn was stored; else undefined. */
  spokenText(turnId: string): string | undefined;
  /** The turn is stored: an interruption from now on revises the stored reply. */
  committed(turnId: string): void;
}

/** A reply whose audio is being sent or may still be playing on the caller's side. */
interface ActiveReply {
  turnId: string;
  sentences: string[];
  ends: number[];
  sending: boolean;
  committed: boolean;
  interrupted: boolean;
  spokenText?: string;
}

type Problem = { status: number; code: string; detail: string };

const TITLES: Record<number, string> = {
  400: "Bad Request",
  404: "Not Found",
  409: "Conflict",
  413: "Content Too Large",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** One open stream: its socket, its attachment and the analysers rebuilt from it. */
export class LiveStream implements ReplyChannel {
  private endpointer: Endpointer | undefined;
  private keypad: DtmfListener | undefined;
  /** Stream sample at which the analysers were built (they count from 0). */
  private base = 0;
  /** The utterance in progress is keypad tones (speech_started was withheld for it). */
  private keypadUtterance = false;
  private pendingTurns = 0;
  private reply: ActiveReply | undefined;
  /** When (performance.now()) the first audio frame of a turn's reply went out, for its metrics. */
  private firstAudio: { turnId: string; at: number } | undefined;
  /** Set when the caller sent `stop`: the `ended` message says so. */
  stopping = false;

  constructor(
    readonly ws: WebSocket,
    private state: StreamAttachment,
    private readonly host: StreamHost,
    /** Absent: the socket speaks src/stream/protocol.ts. */
    private readonly adapter?: StreamAdapter,
  ) {}

  get attachment(): Readonly<StreamAttachment> {
    return this.state;
  }

  get replyOptions(): ReplyOptions {
    const start = this.state.start;
    return {
      mode: start?.reply ?? "text",
      format: start?.format === "mulaw" ? "mulaw" : "pcm",
      sampleRate: start?.sampleRate ?? 16000,
    };
  }

  // ------------------------------------------------------------------ incoming

  /** One client message. Never throws: a failure is an `error` message (and a close when fatal). */
  async receive(message: string | ArrayBuffer): Promise<void> {
    if (this.state.closing) return;
    try {
      if (this.adapter) await this.adapter.receive(this, message);
      else if (typeof message === "string") await this.receiveText(message);
      else await this.receiveAudio(new Uint8Array(message));
    } catch (err) {
      log(
        "stream_error",
        {
          message: errorMessage(err),
          stack: err instanceof Error ? err.stack : undefined,
        },
        "error",
      );
      this.fail(
        {
          status: 500,
          code: "internal_error",
          detail:
            "Something went wrong on our side; quote request id " +
            `${this.state.requestId} when reporting it. Reconnect to continue the call.`,
        },
        CLOSE.internalError,
      );
    }
  }

  private async receiveText(text: string): Promise<void> {
    const parsed = parseClientMessage(text);
    if (!parsed.ok) {
      if (parsed.code === "message_too_large")
        return this.fail({ status: 413, code: "payload_too_large", detail: parsed.detail }, CLOSE.tooBig);
      if (parsed.code === "invalid_json")
        return this.fail({ status: 400, code: "invalid_json", detail: parsed.detail }, CLOSE.invalidPayload);
      // A bad `start` (or anything before one) leaves no usable stream; a bad text or dtmf message
      // (or a type this server does not know) is refused and the stream goes on.
      if (!this.state.start || typeOf(text) === "start")
        return this.fail({ status: 400, code: parsed.code, detail: parsed.detail }, CLOSE.invalidPayload);
      return this.problem({ status: 400, code: parsed.code, detail: parsed.detail });
    }
    const m = parsed.message;
    switch (m.type) {
      case "start": {
        if (this.state.start) {
          return this.fail(
            {
              status: 409,
              code: "already_started",
              detail:
                "The stream was already started; send `start` once, as the first " +
                "message. Open a new stream to change the audio format.",
            },
            CLOSE.policyViolation,
          );
        }
        this.begin({ format: m.format, sampleRate: m.sampleRate, reply: m.reply, vad: m.vad });
        return;
      }
      case "stop":
        return this.stopCall();
      case "text": {
        if (!this.requireStart()) return;
        const typed = m.text.trim();
        const max = this.host.maxTextChars();
        if ([...typed].length > max)
          return this.problem({
            status: 422,
            code: "text_too_long",
            detail: `text is limited to ${max} characters; split it into several turns.`,
          });
        await this.enqueue({ kind: "text", text: typed }, performance.now());
        return;
      }
      case "dtmf": {
        if (!this.requireStart()) return;
        await this.enqueue({ kind: "dtmf", digits: m.digits.toUpperCase() }, performance.now());
        return;
      }
    }
  }

  /** The stream's start settings (our `start`, or an adapter's equivalent): `ready`. Once per stream. */
  begin(start: StartSettings): void {
    this.state.start = start;
    this.save();
    this.send({
      type: "ready",
      callId: this.state.callId,
      format: start.format,
      sampleRate: start.sampleRate,
      vad: start.vad,
    });
  }

  /** The caller is done: ends the call (which closes this stream). */
  stopCall(): Promise<void> {
    this.stopping = true;
    return this.host.stop(this);
  }

  /** Extra state of an adapter, kept across hibernation. */
  setTwilio(state: TwilioStreamState): void {
    this.state.twilio = state;
    this.save();
  }

  /** A keypad key the carrier reported (Twilio `dtmf`): handled like a key heard in the audio, once. */
  async key(digit: string): Promise<void> {
    if (!this.requireStart()) return;
    const work: Promise<void>[] = [];
    this.onDigit({ digit, atMs: this.ms(this.state.heard) - this.ms(this.base) }, work, "event");
    this.save();
    await Promise.all(work);
  }

  private requireStart(): boolean {
    if (this.state.start) return true;
    this.fail(
      {
        status: 400,
        code: "start_required",
        detail: 'The first message must be `start`, e.g. {"type":"start","format":"pcm16","sampleRate":16000}.',
      },
      CLOSE.policyViolation,
    );
    return false;
  }

  /** One frame of caller audio in the stream's format. */
  async receiveAudio(bytes: Uint8Array): Promise<void> {
    const start = this.state.start;
    if (!start) {
      return this.fail(
        {
          status: 400,
          code: "start_required",
          detail:
            "Audio arrived before `start`; send " +
            '{"type":"start","format":"pcm16","sampleRate":16000} (your format and rate) ' +
            "first, then binary audio frames.",
        },
        CLOSE.unsupportedData,
      );
    }
    let samples: Int16Array;
    try {
      samples = decodeFrame(bytes, start.format, start.sampleRate);
    } catch (err) {
      if (!(err instanceof AudioError)) throw err;
      if (err.code === "payload_too_large")
        return this.fail({ status: 413, code: "payload_too_large", detail: err.message }, CLOSE.tooBig);
      return this.fail({ status: 400, code: err.code, detail: err.message }, CLOSE.invalidPayload);
    }
    if (samples.length === 0) return;
    const { endpointer, keypad } = this.analysers(start);
    // Keys first: they decide whether the same frame's speech_started is a key's tone.
    const digits = keypad.push(samples);
    const events = endpointer.push(samples);
    this.state.heard += samples.length;
    const work: Promise<void>[] = [];
    for (const d of digits) this.onDigit(d, work);
    for (const e of events) this.onEndpoint(e, start, work);
    if (this.state.digits && this.ms(this.state.heard) - this.state.lastDigitMs >= DTMF_INTERDIGIT_MS)
      this.flushDigits(work);
    this.save();
    await Promise.all(work);
  }

  private analysers(start: StartSettings): { endpointer: Endpointer; keypad: DtmfListener } {
    if (!this.endpointer || !this.keypad) {
      this.base = this.state.heard;
      this.endpointer = new Endpointer({ sampleRate: start.sampleRate, ...start.vad });
      this.keypad = new DtmfListener(start.sampleRate);
    }
    return { endpointer: this.endpointer, keypad: this.keypad };
  }

  /** Stream ms of a stream sample (or of an analyser's own ms, offset by where it started). */
  private ms(sample: number): number {
    return Math.round((sample * 1000) / (this.state.start?.sampleRate ?? 16000));
  }

  private onDigit(d: DtmfDigit, work: Promise<void>[], source: KeySource = "audio"): void {
    const at = this.ms(this.base) + d.atMs;
    if (this.state.twilio && this.echoOfKey(d.digit, at, source)) return;
    // A key pressed over the reply interrupts it, as on any phone menu.
    this.bargeIn();
    if (!this.host.secureStep()) this.send({ type: "dtmf", digit: d.digit });
    this.state.digits += d.digit;
    this.state.lastDigitMs = at;
    if (d.digit === "#" || this.state.digits.length >= MAX_DTMF_DIGITS) this.flushDigits(work);
  }

  /**
   * Whether a key is the other source's report of a press already taken: the carrier's key events
   * and the tones in its audio describe the same presses, and either may come first.
   */
  private echoOfKey(digit: string, at: number, source: KeySource): boolean {
    const keys = (this.state.keys ?? []).filter((k) => Math.abs(at - k.atMs) <= KEY_ECHO_MS);
    const match = keys.findIndex((k) => k.digit === digit && k.source !== source);
    if (match >= 0) keys.splice(match, 1);
    else keys.push({ digit, atMs: at, source });
    this.state.keys = keys.slice(-MAX_DTMF_DIGITS);
    return match >= 0;
  }

  private onEndpoint(e: EndpointEvent, start: StartSettings, work: Promise<void>[]): void {
    const offset = this.ms(this.base);
    if (e.type === "speech_started") {
      const at = offset + e.atMs;
      if (this.state.lastDigitMs >= 0 && this.state.lastDigitMs >= at - KEYPAD_ONSET_MS) {
        this.keypadUtterance = true;
        return;
      }
      this.send({ type: "speech_started", atMs: at });
      this.bargeIn();
      return;
    }
    const keypad = this.keypadUtterance || this.state.lastDigitMs >= offset + e.audioStartMs;
    this.keypadUtterance = false;
    if (keypad) return;
    // Speech after keys ends their entry.
    if (this.state.digits) this.flushDigits(work);
    const audio: DecodedAudio = {
      kind: "pcm",
      samples: e.audio,
      sampleRate: start.sampleRate,
      durationMs: pcmDurationMs(e.audio.length, start.sampleRate),
      mediaType: `audio/L16;rate=${start.sampleRate}`,
    };
    work.push(this.enqueue({ kind: "audio", audio }, performance.now()));
  }

  private flushDigits(work: Promise<void>[]): void {
    const digits = this.state.digits;
    this.state.digits = "";
    if (digits) work.push(this.enqueue({ kind: "dtmf", digits }, performance.now()));
  }

  private async enqueue(payload: TurnPayload, endedAt: number): Promise<void> {
    if (this.pendingTurns >= MAX_PENDING_TURNS) {
      this.problem({
        status: 429,
        code: "rate_limited",
        detail:
          `This stream already has ${MAX_PENDING_TURNS} turns ` +
          "waiting; wait for their replies before sending more.",
      });
      return;
    }
    this.pendingTurns++;
    try {
      await this.host.turn(this, payload, endedAt);
    } finally {
      this.pendingTurns--;
    }
  }

  // ------------------------------------------------------------------ barge-in

  /**
   * Caller speech or a key: cuts the reply being sent or still playing. A reply whose audio has not
   * started (its first sentence is still being synthesised) is not playing yet, so it plays after.
   */
  private bargeIn(): void {
    const reply = this.currentReply();
    if (!reply || reply.interrupted || reply.ends.length === 0) return;
    const now = this.host.now();
    const end = reply.ends[reply.ends.length - 1] ?? now;
    if (!reply.sending && now >= end) {
      // Played to the end already.
      this.reply = undefined;
      delete this.state.playback;
      return;
    }
    const played = reply.ends.filter((t) => t <= now).length;
    const spokenText = reply.sentences.slice(0, played).join(" ");
    reply.interrupted = true;
    reply.spokenText = spokenText;
    this.send({ type: "interrupted", turnId: reply.turnId, spokenText });
    delete this.state.playback;
    if (reply.committed) {
      this.reply = undefined;
      // Through the call's turn order: the turn is stored, its reply is rewritten after it.
      void this.host.reviseReply(reply.turnId, spokenText).catch((err: unknown) => {
        log("stream_revise_failed", { turnId: reply.turnId, message: errorMessage(err) }, "error");
      });
    }
  }

  /** The reply in memory, or the one a hibernated socket's attachment describes. */
  private currentReply(): ActiveReply | undefined {
    if (this.reply) return this.reply;
    const p = this.state.playback;
    if (!p) return undefined;
    const text = this.host.replyText(p.turnId) ?? "";
    this.reply = {
      turnId: p.turnId,
      sentences: splitSentences(text),
      ends: p.ends,
      sending: false,
      committed: true,
      interrupted: false,
    };
    return this.reply;
  }

  // ------------------------------------------------------------------ ReplyChannel

  understood(m: {
    turnId: string;
    transcript: { text: string; source: "text" | "dtmf" | "speech" };
    intent: { name: string; confidence: number };
    replyText: string;
  }): void {
    // A new reply replaces whatever was still playing of the last one.
    this.reply = { turnId: m.turnId, sentences: [], ends: [], sending: true, committed: false, interrupted: false };
    delete this.state.playback;
    this.send({
      type: "transcript",
      turnId: m.turnId,
      text: m.transcript.text,
      final: true,
      source: m.transcript.source,
    });
    this.send({ type: "intent", turnId: m.turnId, name: m.intent.name, confidence: m.intent.confidence });
    this.send({ type: "reply", turnId: m.turnId, text: m.replyText });
  }

  audio(turnId: string, sentence: string, bytes: Uint8Array): void {
    const reply = this.reply;
    const start = this.state.start;
    if (!reply || reply.turnId !== turnId || reply.interrupted || !start) return;
    const now = this.host.now();
    const durationMs = (bytes.byteLength / bytesPerSample(start.format) / start.sampleRate) * 1000;
    const begins = Math.max(now, reply.ends[reply.ends.length - 1] ?? now);
    reply.sentences.push(sentence);
    reply.ends.push(begins + durationMs);
    if (this.firstAudio?.turnId !== turnId) this.firstAudio = { turnId, at: performance.now() };
    if (this.adapter) this.adapter.sentence(this, turnId, bytes);
    else for (const frame of chunkFrames(bytes, start.format, start.sampleRate, REPLY_FRAME_MS)) this.sendRaw(frame);
    if (reply.ends.length <= MAX_TRACKED_SENTENCES) this.state.playback = { turnId, ends: [...reply.ends] };
    else delete this.state.playback; // too long to keep: a wake forgets it rather than cut it wrong
    this.save();
  }

  interrupted(turnId: string): boolean {
    return this.reply?.turnId === turnId && this.reply.interrupted;
  }

  replyDone(turnId: string): void {
    const reply = this.reply;
    if (reply?.turnId === turnId) {
      reply.sending = false;
      if (reply.interrupted) return;
    }
    this.send({ type: "reply_done", turnId });
  }

  spokenText(turnId: string): string | undefined {
    return this.reply?.turnId === turnId && this.reply.interrupted ? this.reply.spokenText : undefined;
  }

  committed(turnId: string): void {
    const reply = this.reply;
    if (reply?.turnId !== turnId) return;
    reply.committed = true;
    // Interrupted before it was stored: it was stored as interrupted, nothing left to track.
    if (reply.interrupted) this.reply = undefined;
  }

  /** The turn's closing figures; firstAudioMs from `endedAt` (performance.now() when the caller's turn ended). */
  metrics(turnId: string, latency: { stt: number; nlp: number; tts: number }, endedAt: number): void {
    const first = this.firstAudio?.turnId === turnId ? this.firstAudio.at : undefined;
    this.send({
      type: "metrics",
      turnId,
      sttMs: latency.stt,
      nlpMs: latency.nlp,
      ttsMs: latency.tts,
      firstAudioMs: first === undefined ? null : Math.max(0, Math.round(first - endedAt)),
    });
  }

  // ------------------------------------------------------------------ outgoing

  send(message: ServerMessage): void {
    if (this.adapter) this.adapter.event(this, message);
    else this.sendRaw(JSON.stringify(message));
  }

  /** One WebSocket message as is (adapters write their protocol's messages with it). */
  sendRaw(data: string | Uint8Array): void {
    if (this.state.closing) return;
    try {
      this.ws.send(data);
    } catch {
      // The client is gone; webSocketClose cleans up.
    }
  }

  /** A recoverable problem: an `error` message, the stream stays open. */
  problem(p: Problem): void {
    this.send({ type: "error", status: p.status, code: p.code, title: TITLES[p.status] ?? "Error", detail: p.detail });
  }

  /** A fatal problem: `error`, then close with `code`. */
  fail(p: Problem, code: CloseCode): void {
    this.problem(p);
    this.close(code, p.code);
  }

  /** The call is over: `ended`, then close 1000. */
  end(reason: string): void {
    this.send({ type: "ended", reason });
    this.close(CLOSE.normal, reason);
  }

  close(code: CloseCode, reason: string): void {
    if (this.state.closing) return;
    this.state.closing = true;
    this.save();
    try {
      this.ws.close(code, reason.slice(0, 120));
    } catch {
      // Already closed by the client.
    }
  }

  private save(): void {
    try {
      this.ws.serializeAttachment(this.state);
    } catch {
      // A closed socket has nothing left to keep.
    }
  }
}

/** The `type` of a JSON message, if it has one (for a message the parser refused). */
function typeOf(text: string): unknown {
  try {
    return (JSON.parse(text) as { type?: unknown }).type;
  } catch {
    return undefined;
  }
}
