/**
 * The per-socket state machine of a live call stream: caller audio in (endpointing, keypad keys,
 * barge-in), turns out to the call's pipeline, events and reply audio back through the socket's
 * wire protocol (a StreamAdapter). How it works, message by message, and what survives
 * hibernation: src/pipeline/live/README.md.
 */
import { DtmfListener, type DtmfDigit } from "../../audio/dtmf-stream";
import { bytesPerSample } from "../../stream/frames";
import { Endpointer, type EndpointEvent } from "../../audio/vad";
import { addKey, echoOfKey, entryTimedOut, isKeyTone, takeKeys } from "./keypad";
import { Playback } from "./playback";
import { decodeCallerFrame, pcmAudio } from "./caller-audio";
import { Recognizer, type SttStreams } from "./recognizer";
import { StreamLimits, type StreamProblem } from "./stream-limits";
import type { KeySource, StartSettings, StreamAttachment, TwilioStreamState } from "./stream-state";
import { AttachmentWriter, streamMs } from "./stream-state";
import { log } from "../../observability/log";
import { CLOSE, type CloseCode, type ServerMessage } from "../../stream/protocol";
import type { ReplyChannel, ReplyOptions, SentencePart, TurnPayload, TurnProgress } from "../types";
import { errorMessage, problemTitle } from "../../lib/errors";

/**
 * Another wire protocol on the same state machine: reads the socket's messages (instead of
 * src/stream/protocol.ts) and writes the stream's events and reply audio in its own messages.
 */
export interface StreamAdapter {
  receive(stream: LiveStream, message: string | ArrayBuffer): Promise<void>;
  /** One event of the stream (what protocol.ts would send as JSON); the adapter sends what its peer uses. */
  event(stream: LiveStream, message: ServerMessage): void;
  /** One synthesised sentence of reply audio, in the stream's format and rate (or a piece of one: `part`). */
  sentence(stream: LiveStream, turnId: string, bytes: Uint8Array, part?: SentencePart): void;
}

/** What the stream needs from its call object. */
export interface StreamHost {
  /** Wall clock, epoch ms (playback model). Tests move it. */
  now(): number;
  /** Whether the call's current flow step is secure (keypad input neither stored nor echoed). */
  secureStep(): boolean;
  /** Longest typed turn the deployment accepts, in characters. */
  maxTextChars(): number;
  /** Runs a caller turn in the call's turn order; reports through `channel` (default: `stream`). */
  turn(stream: LiveStream, payload: TurnPayload, endedAt: number, channel?: ReplyChannel): Promise<void>;
  /** The caller sent `stop`: ends the call (which closes this stream). */
  stop(stream: LiveStream): Promise<void>;
  /** A stored reply was cut short: only `spokenText` of it was played. */
  reviseReply(turnId: string, spokenText: string): Promise<void>;
  /** The stored reply text of a turn (the sentences of a hibernated playback), if any. */
  replyText(turnId: string): string | null;
  /** Streaming recognition (recognizer.ts): the call's recognisers, none when it is off. */
  sttStreams: SttStreams;
  /** The caller started speaking: a turn is likely to follow (its admission may be prepared). */
  speaking(): void;
}

/** The `start` message clients are told to send first. */
const START_EXAMPLE = '{"type":"start","format":"pcm16","sampleRate":16000}';

/** One open stream: its socket, its attachment and the analysers rebuilt from it. */
export class LiveStream implements ReplyChannel {
  private endpointer: Endpointer | undefined;
  private keypad: DtmfListener | undefined;
  private recognizer: Recognizer | undefined; // undefined: no streaming STT (batch, as before)
  /** Stream sample at which the analysers were built (they count from 0). */
  private base = 0;
  /** The utterance in progress is keypad tones (speech_started was withheld for it). */
  private keypadUtterance = false;
  private readonly limits = new StreamLimits();
  /** When (performance.now()) the first audio frame of a turn's reply went out, for its metrics. */
  private firstAudio: { turnId: string; at: number } | undefined;
  /** The turn whose transcript went out ahead of its reply (an agent's, before its model answered). */
  private heardTurn: string | undefined;
  /** Set when the caller sent `stop`: the `ended` message says so. */
  stopping = false;

  /** The modelled playback of the last reply, kept in the attachment (barge-in). */
  private readonly playback: Playback;
  private readonly writer: AttachmentWriter;

  constructor(
    readonly ws: WebSocket,
    private readonly state: StreamAttachment,
    private readonly host: StreamHost,
    /** The socket's wire protocol: ours (native-adapter.ts) or Twilio's (twilio-adapter.ts). */
    private readonly adapter: StreamAdapter,
  ) {
    this.playback = new Playback(state, (turnId) => host.replyText(turnId));
    this.writer = new AttachmentWriter(ws, state);
  }

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
      await this.adapter.receive(this, message);
    } catch (err) {
      this.crashed("stream_error", err);
    }
  }

  /** A typed turn (our `text` message). */
  async typed(text: string): Promise<void> {
    if (!this.requireStart()) return;
    const typed = text.trim();
    const max = this.host.maxTextChars();
    if ([...typed].length > max) {
      const detail = `text is limited to ${max} characters; split it into several turns.`;
      return this.problem({ status: 422, code: "text_too_long", detail });
    }
    await this.enqueue({ kind: "text", text: typed }, performance.now());
  }

  /** A keyed turn (our `dtmf` message: all its keys at once). */
  async keyed(digits: string): Promise<void> {
    if (!this.requireStart()) return;
    await this.enqueue({ kind: "dtmf", digits: digits.toUpperCase() }, performance.now());
  }

  /** The stream's start settings (our `start`, or an adapter's equivalent): `ready`. Once per stream. */
  begin(start: StartSettings): void {
    this.state.start = start;
    this.writer.now();
    const { format, sampleRate, vad, bargeIn } = start;
    this.send({ type: "ready", callId: this.state.callId, format, sampleRate, vad, ...(bargeIn ? { bargeIn } : {}) });
  }

  /** The caller is done: ends the call (which closes this stream). */
  stopCall(): Promise<void> {
    this.stopping = true;
    return this.host.stop(this);
  }

  /** Extra state of an adapter, kept across hibernation. */
  setTwilio(state: TwilioStreamState): void {
    this.state.twilio = state;
    this.writer.now();
  }

  /** A keypad key the carrier reported (Twilio `dtmf`): handled like a key heard in the audio, once. */
  async key(digit: string): Promise<void> {
    if (!this.requireStart()) return;
    const work: Promise<void>[] = [];
    const atMs = streamMs(this.state, this.state.heard) - streamMs(this.state, this.base);
    this.onDigit({ digit, atMs }, work, "event");
    this.writer.now();
    await Promise.all(work);
  }

  private requireStart(): boolean {
    if (this.state.start) return true;
    const detail = `The first message must be \`start\`, e.g. ${START_EXAMPLE}.`;
    this.fail({ status: 400, code: "start_required", detail }, CLOSE.policyViolation);
    return false;
  }

  /** One frame of caller audio in the stream's format. */
  async receiveAudio(bytes: Uint8Array): Promise<void> {
    const start = this.state.start;
    if (!start) {
      const detail =
        `Audio arrived before \`start\`; send ${START_EXAMPLE} (your format and rate) ` +
        "first, then binary audio frames.";
      return this.fail({ status: 400, code: "start_required", detail }, CLOSE.unsupportedData);
    }
    const samples = decodeCallerFrame(bytes, start);
    if (!(samples instanceof Int16Array)) return this.fail(samples.problem, samples.close);
    if (samples.length === 0) return;
    const { endpointer, keypad } = this.analysers(start);
    this.recognizer?.hear(samples);
    // Keys first: they decide whether the same frame's speech_started is a key's tone.
    const digits = keypad.push(samples);
    const events = endpointer.push(samples);
    this.state.heard += samples.length;
    const work: Promise<void>[] = [];
    for (const d of digits) this.onDigit(d, work);
    for (const e of events) this.onEndpoint(e, start, work);
    if (entryTimedOut(this.state, streamMs(this.state, this.state.heard))) this.flushDigits(work);
    // A frame that only moved the clock is written soon; keys and turns at once.
    this.writer.save(digits.length > 0 || events.length > 0 || work.length > 0);
    await Promise.all(work);
  }

  private analysers(start: StartSettings): { endpointer: Endpointer; keypad: DtmfListener } {
    if (!this.endpointer || !this.keypad) {
      this.base = this.state.heard;
      this.recognizer = Recognizer.for(start, this.host.sttStreams, {
        live: this,
        send: (m) => this.send(m),
        turn: (payload, endedAt, channel) => this.enqueue(payload, endedAt, channel),
        bargeIn: () => this.bargeIn(),
        replyPlaying: () => this.playback.playing(this.host.now()),
        endpointer: () => this.endpointer,
      });
      this.endpointer = new Endpointer({ sampleRate: start.sampleRate, ...start.vad, ...this.recognizer?.vad });
      this.keypad = new DtmfListener(start.sampleRate);
    }
    return { endpointer: this.endpointer, keypad: this.keypad };
  }

  private onDigit(d: DtmfDigit, work: Promise<void>[], source: KeySource = "audio"): void {
    const at = streamMs(this.state, this.base) + d.atMs;
    if (this.state.twilio && echoOfKey(this.state, d.digit, at, source)) return;
    // A key pressed over the reply interrupts it, as on any phone menu.
    this.bargeIn();
    if (!this.host.secureStep()) this.send({ type: "dtmf", digit: d.digit });
    if (addKey(this.state, d.digit, at)) this.flushDigits(work);
  }

  private onEndpoint(e: EndpointEvent, start: StartSettings, work: Promise<void>[]): void {
    const offset = streamMs(this.state, this.base);
    if (e.type === "speech_started") {
      const at = offset + e.atMs;
      if (isKeyTone(this.state, at)) {
        this.keypadUtterance = true;
        return;
      }
      this.send({ type: "speech_started", atMs: at });
      this.host.speaking();
      // With streaming recognition, barge-in waits for words (recognizer.ts); else any speech interrupts.
      if (!this.recognizer?.speechStarted(e.atMs)) this.bargeIn();
      return;
    }
    const keypad = this.keypadUtterance || this.state.lastDigitMs >= offset + e.audioStartMs;
    this.keypadUtterance = false;
    if (keypad) return this.recognizer?.cancel();
    // Speech after keys ends their entry.
    if (this.state.digits) this.flushDigits(work);
    const audio = pcmAudio(e.audio, start.sampleRate);
    if (this.recognizer?.ended(audio, work)) return;
    work.push(this.enqueue({ kind: "audio", audio }, performance.now()));
  }

  private flushDigits(work: Promise<void>[]): void {
    const digits = takeKeys(this.state);
    if (digits) work.push(this.enqueue({ kind: "dtmf", digits }, performance.now()));
  }

  private async enqueue(payload: TurnPayload, endedAt: number, channel?: ReplyChannel): Promise<void> {
    const refused = this.limits.beginTurn();
    if (refused) return this.problem(refused);
    try {
      await this.host.turn(this, payload, endedAt, channel);
    } finally {
      this.limits.endTurn();
    }
  }

  /** Counts a control message against the stream's own rate (stream-limits.ts): false when it is to be dropped. */
  admitControl(): boolean {
    const verdict = this.limits.controlMessage(performance.now());
    if (verdict === "ok") return true;
    if (verdict !== "drop") this.problem(verdict);
    return false;
  }

  // ------------------------------------------------------------------ barge-in

  /** Caller speech or a key: cuts the reply being sent or still playing (playback.ts decides). */
  private bargeIn(): void {
    const cut = this.playback.bargeIn(this.host.now());
    if (!cut) return;
    this.send({ type: "interrupted", turnId: cut.turnId, spokenText: cut.spokenText });
    if (!cut.revise) return;
    // Through the call's turn order: the turn is stored, its reply is rewritten after it.
    void this.host.reviseReply(cut.turnId, cut.spokenText).catch((err: unknown) => {
      log("stream_revise_failed", { turnId: cut.turnId, message: errorMessage(err) }, "error");
    });
  }

  // ------------------------------------------------------------------ ReplyChannel

  understood(m: Parameters<ReplyChannel["understood"]>[0]): void {
    if (this.heardTurn !== m.turnId) this.progress(m.turnId, { type: "transcript", ...m.transcript });
    if (m.intent) this.send({ type: "intent", turnId: m.turnId, name: m.intent.name, confidence: m.intent.confidence });
    this.send({ type: "reply", turnId: m.turnId, text: m.replyText });
  }

  progress(turnId: string, event: TurnProgress): void {
    if (event.type === "transcript") {
      this.playback.begin(turnId);
      this.heardTurn = turnId;
    }
    this.send(event.type === "transcript" ? { ...event, turnId, final: true } : { ...event, turnId });
  }

  audio(turnId: string, sentence: string, bytes: Uint8Array, part?: SentencePart): void {
    const start = this.state.start;
    if (!this.playback.accepts(turnId) || !start) return;
    const durationMs = (bytes.byteLength / bytesPerSample(start.format) / start.sampleRate) * 1000;
    this.playback.sent(turnId, sentence, durationMs, this.host.now(), part);
    if (this.firstAudio?.turnId !== turnId) this.firstAudio = { turnId, at: performance.now() };
    this.adapter.sentence(this, turnId, bytes, part);
    // A sentence's pieces move only its modelled end: written soon; the sentence once whole, at once.
    this.writer.save(part !== "more");
  }

  interrupted(turnId: string): boolean {
    return this.playback.interrupted(turnId);
  }

  interruption(turnId: string): AbortSignal {
    return this.playback.interruption(turnId);
  }

  replyDone(turnId: string): void {
    if (this.playback.done(turnId)) this.send({ type: "reply_done", turnId });
  }

  spokenText(turnId: string): string | undefined {
    return this.playback.spokenText(turnId);
  }

  committed(turnId: string): void {
    this.playback.committed(turnId);
  }

  /** A reply already stored that the call speaks unasked (Twilio's greeting): its playback begins. */
  storedReply(turnId: string): void {
    this.playback.storedReply(turnId);
  }

  /** The turn's closing figures; firstAudioMs from `endedAt` (performance.now() when the caller's turn ended). */
  metrics(turnId: string, latency: { stt: number; nlp: number; tts: number }, endedAt: number): void {
    const first = this.firstAudio?.turnId === turnId ? this.firstAudio.at : undefined;
    const firstAudioMs = first === undefined ? null : Math.max(0, Math.round(first - endedAt));
    this.send({ type: "metrics", turnId, sttMs: latency.stt, nlpMs: latency.nlp, ttsMs: latency.tts, firstAudioMs });
  }

  /** Our message, written in the adapter's protocol (everything outgoing goes through here or sendRaw). */
  send(message: ServerMessage): void {
    this.adapter.event(this, message);
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
  problem(p: StreamProblem): void {
    const { status, code, detail, retryAfterMs } = p;
    const retry = retryAfterMs !== undefined ? { retryAfterMs } : {};
    this.send({ type: "error", status, code, title: problemTitle(status), detail, ...retry });
  }

  /** A bug on our side (`event` logs it): a 500 `error`, then close; the client reconnects to go on. */
  crashed(event: string, err: unknown): void {
    log(event, { message: errorMessage(err), stack: err instanceof Error ? err.stack : undefined }, "error");
    const detail =
      "Something went wrong on our side; quote request id " +
      `${this.state.requestId} when reporting it. Reconnect to continue the call.`;
    this.fail({ status: 500, code: "internal_error", detail }, CLOSE.internalError);
  }

  /** A fatal problem: `error`, then close with `code`. */
  fail(p: StreamProblem, code: CloseCode): void {
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
    this.writer.now();
    // An open provider socket would keep the object in memory (and billing) after the caller left.
    this.recognizer?.close();
    try {
      this.ws.close(code, reason.slice(0, 120));
    } catch {
      // Already closed by the client.
    }
  }
}
