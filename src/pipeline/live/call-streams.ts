import { ApiError, asApiError, errorMessage, errors, problem, problemResponse } from "../../lib/errors";
import { log } from "../../observability/log";
import { mintStreamToken, STREAM_TOKEN_TTL_MS, StreamTokenStore } from "../../security/stream-token";
import { CLOSE } from "../../stream/protocol";
import { activeSession, type CallRuntime } from "../call-runtime";
import { keyUse, type KeyUser } from "../lifecycle/key-use";
import { recordTurnFailed } from "../metrics";
import { flowOf } from "../stages/understand";
import { sttStreamChain } from "../../providers/registry";
import { orderedFor } from "../../routing/resident-order";
import { runTurn } from "../turn";
import type { ReplyChannel, TurnInput, TurnPayload } from "../types";
import { LiveStream, type StreamHost } from "./live-stream";
import { HeldReply } from "./held-reply";
import { newAttachment, type StreamAttachment, type TwilioStreamState } from "./stream-state";
import { turnIdOf } from "../../call/records";
import { splitSentences } from "../../nlp/sentences";
import { speakerFor } from "../stages/speak";
import { STREAM_TAG, TWILIO_STREAM_TAG, type StreamOpen } from "./stream-open";
import { nativeAdapter } from "./native-adapter";
import { twilioAdapter } from "./twilio-adapter";
import { admitTurn, prepareTurn } from "./turn-admission";

/** What the call's streams need from the object that holds them. */
export interface StreamsHost {
  readonly call: CallRuntime;
  /** The object's sockets (hibernation API) and its waitUntil. */
  readonly ctx: Pick<DurableObjectState, "acceptWebSocket" | "getWebSockets" | "getTags" | "waitUntil">;
  /** Wall clock of the streams' playback model, epoch ms; tests move it. */
  now(): number;
  /** Runs `fn` in the call's turn order (the object's serial queue). */
  serially<T>(fn: () => Promise<T>): Promise<T>;
  /** Runs `fn` as one traced invocation of the object. */
  observed<T>(name: string, from: { requestId?: string }, fn: () => Promise<T>): Promise<T>;
  /** Ends the call for a stream's `stop`; false when there was nothing left to end. */
  end(from: KeyUser): Promise<boolean>;
}

/**
 * The live streams of one call: the WebSocket upgrade (with its stream token), the sockets'
 * messages, and the turns they ask for, which run through the same pipeline and history as HTTP
 * turns. Sockets are accepted with the hibernation API; a socket's stream is rebuilt from its
 * attachment after the object wakes (live-stream.ts says what survives).
 */
export class CallStreams {
  /** This instance's view of its open streams (rebuilt from the sockets' attachments after hibernation). */
  private readonly live = new WeakMap<WebSocket, LiveStream>();
  private readonly tokens: StreamTokenStore;

  constructor(
    private readonly host: StreamsHost,
    sql: SqlStorage,
  ) {
    this.tokens = new StreamTokenStore(sql);
  }

  /** A single-use token that opens this call's stream without an Authorization header (security/stream-token.ts). */
  async issueToken(input: { tenantId: string; callId: string; keyId: string }) {
    const session = activeSession(this.host.call);
    if (session.tenantId !== input.tenantId || session.callId !== input.callId)
      throw new ApiError(404, "call_not_found", "No such call.");
    const { token, hash } = await mintStreamToken({
      tenantId: session.tenantId,
      callId: session.callId,
      keyId: input.keyId,
      residency: session.residency ?? null,
    });
    const now = Date.now();
    const expiresAt = now + STREAM_TOKEN_TTL_MS;
    this.tokens.issue(hash, input.keyId, expiresAt, now);
    return { token, expiresAt: new Date(expiresAt).toISOString() };
  }

  /**
   * The stream's WebSocket upgrade, as the Worker's route (http/routes/stream.ts) opened it.
   * Refusals are problem responses before any upgrade: 401 for a token that is not valid here
   * (checked before anything about the call is told), 404 no such call, 409 the call has ended.
   * An open stream of the call is replaced by the new one (a reconnecting client must not be
   * locked out by its own dead socket).
   */
  open(open: StreamOpen): Response {
    const requestId = open.requestId;
    if (open.tokenHash !== undefined && !this.tokens.redeem(open.tokenHash, open.actor ?? "", Date.now())) {
      const detail =
        "The stream token is not valid: it has expired (tokens last 60 s), was already used, or was " +
        "issued for another call. Get a new one from POST /api/v1/calls/{callId}/stream-token.";
      return problemResponse(problem(401, "unauthorized", detail, requestId), {
        "WWW-Authenticate": 'Bearer realm="voice-edge", error="invalid_token"',
      });
    }
    const store = this.host.call.store;
    const session = store.getSession();
    if (!session || session.tenantId !== open.tenantId || session.callId !== open.callId) {
      return problemResponse(problem(404, "call_not_found", errors.callNotFound(open.callId).detail, requestId));
    }
    if (session.status !== "active") {
      return problemResponse(problem(409, "call_ended", errors.callEnded(open.callId).detail, requestId));
    }
    const replaced = {
      status: 409,
      code: "stream_replaced",
      detail: "Another stream was opened for this call; this one is closed.",
    };
    for (const old of this.sockets()) this.streamFor(old)?.fail(replaced, CLOSE.policyViolation);
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.host.ctx.acceptWebSocket(server, [open.twilio ? TWILIO_STREAM_TAG : STREAM_TAG]);
    server.serializeAttachment(newAttachment(open));
    // Opening the stream is a use of the key on this call, for the audit log (synced with the call).
    const opened = keyUse(open, "call.stream", new Date().toISOString());
    if (opened.use) store.putSession(session, opened);
    log("stream_opened", { via: open.twilio ? "twilio" : open.tokenHash ? "token" : "key" });
    return new Response(null, { status: 101, webSocket: client });
  }

  async message(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const stream = this.streamFor(ws);
    if (!stream) return;
    await stream.receive(message);
    const twilio = stream.attachment.twilio;
    if (twilio && stream.attachment.start && !twilio.greeted) await this.greet(stream, twilio);
  }

  closed(ws: WebSocket, code: number, reason: string): void {
    const stream = this.streamFor(ws);
    if (stream && !stream.attachment.closing) {
      log("stream_closed", {
        tenantId: this.host.call.store.getSession()?.tenantId,
        callId: stream.attachment.callId,
        code,
        reason: reason.slice(0, 120),
        by: "client",
      });
      // The caller hung up the socket; the call stays active until it is ended or idles out.
      stream.close(CLOSE.normal, "closed by client");
    }
    this.live.delete(ws);
  }

  errored(ws: WebSocket, error: unknown): void {
    log("stream_socket_error", { message: errorMessage(error) }, "warn");
    this.live.delete(ws);
  }

  /**
   * Tells every open stream the call is over (`ended` {reason}, close 1000); a stream that sent
   * `stop` hears "stop".
   */
  closeAll(reason: string): void {
    for (const ws of this.sockets()) {
      const stream = this.streamFor(ws);
      stream?.end(stream.stopping ? "stop" : reason);
    }
  }

  /** The call's stream sockets: our protocol's and Twilio's (live-stream.ts, twilio-adapter.ts). */
  private sockets(): WebSocket[] {
    return [...this.host.ctx.getWebSockets(STREAM_TAG), ...this.host.ctx.getWebSockets(TWILIO_STREAM_TAG)];
  }

  /** The stream of a socket: this instance's, or rebuilt from its attachment after hibernation. */
  private streamFor(ws: WebSocket): LiveStream | undefined {
    const known = this.live.get(ws);
    if (known) return known;
    const attachment = ws.deserializeAttachment() as StreamAttachment | null;
    const tags = this.host.ctx.getTags(ws);
    const twilio = tags.includes(TWILIO_STREAM_TAG);
    if (!(twilio || tags.includes(STREAM_TAG)) || attachment?.v !== 1) {
      try {
        ws.close(CLOSE.internalError, "unknown socket");
      } catch {
        // already closed
      }
      return undefined;
    }
    const stream = new LiveStream(ws, attachment, this.streamHost(attachment), twilio ? twilioAdapter : nativeAdapter);
    this.live.set(ws, stream);
    return stream;
  }

  private streamHost(attachment: StreamAttachment): StreamHost {
    const call = this.host.call;
    return {
      now: () => this.host.now(),
      maxTextChars: () => call.config.MAX_TEXT_CHARS,
      secureStep: () => {
        const session = call.store.getSession();
        return session ? flowOf(session, call.store.agent())?.states[session.state]?.secure === true : false;
      },
      replyText: (id) => call.store.history().find((e) => e.turnId === id && e.role === "assistant")?.text ?? null,
      sttStreams: () => {
        const session = call.store.getSession();
        if (!session) return { engines: [], language: "" };
        const who = { residency: session.residency, caller: attachment.caller };
        const engines = orderedFor(sttStreamChain(call.env, call.config), "speech-to-text", call.config, who);
        return { engines, language: session.language, background: (work) => this.host.ctx.waitUntil(work) };
      },
      turn: (stream, payload, endedAt, channel) => this.turn(stream, payload, endedAt, channel),
      speaking: () => prepareTurn(this.host.call),
      stop: async (stream) => {
        const { requestId, actor } = stream.attachment;
        const ended = await this.host.end({ requestId, ...(actor ? { actor } : {}) });
        // Nothing left to end (the call ended meanwhile, or was erased): close all the same.
        if (!ended || !stream.attachment.closing) stream.end("stop");
      },
      reviseReply: (id, spokenText) =>
        this.host.serially(async () => {
          call.store.transaction(() => call.store.reviseReply(id, spokenText));
        }),
    };
  }

  /**
   * A Twilio call's greeting, spoken by our own TTS over its media stream once Twilio's `start` has
   * come (the voice webhook's TwiML only connects the stream), so the caller hears the same voice
   * as every reply; in the call's turn order, before any caller turn. The greeting is stored
   * already (turn-0): a barge-in over it revises the stored text to what was played, like any
   * reply's. Once: a stream opened again after the caller's first turn says nothing.
   */
  private async greet(stream: LiveStream, twilio: TwilioStreamState): Promise<void> {
    stream.setTwilio({ ...twilio, greeted: true });
    const call = this.host.call;
    await this.host.serially(async () => {
      const session = call.store.getSession();
      const turnId = turnIdOf(0);
      const greeting = call.store.history().find((e) => e.turnId === turnId && e.role === "assistant");
      if (!session || session.status !== "active" || session.turnCount > 0 || !greeting || stream.attachment.closing)
        return;
      stream.storedReply(turnId);
      const owner = { tenantId: session.tenantId, residency: session.residency ?? null };
      const who = { caller: stream.attachment.caller };
      const speaker = speakerFor(call, turnId, session.language, owner, who, stream);
      for (const sentence of splitSentences(greeting.text)) speaker.say(sentence);
      try {
        const spoken = await speaker.finish();
        if (spoken.degraded) log("twilio_greeting_unspoken", { reason: spoken.degraded }, "warn");
      } catch (err) {
        log("twilio_greeting_failed", { message: errorMessage(err) }, "error");
      } finally {
        call.deadlines.clear();
      }
    });
  }

  /**
   * A live stream's turn, in the call's turn order; its outcome goes back over the stream. It first
   * takes a token of the tenant's request rate, as an HTTP turn does in its request's authorization.
   */
  private async turn(stream: LiveStream, payload: TurnPayload, endedAt: number, channel?: ReplyChannel) {
    const refused = await admitTurn(this.host.call);
    if (refused) return stream.problem(refused);
    const a = stream.attachment;
    const input: TurnInput = {
      payload,
      reply: stream.replyOptions,
      idempotencyKey: null,
      fingerprint: "",
      requestId: a.requestId,
      ...(a.actor ? { actor: a.actor } : {}),
      ...(a.caller ? { caller: a.caller } : {}),
    };
    const run = () => this.host.serially(() => this.runStreamTurn(stream, input, endedAt, channel));
    return this.host.observed("CallSession.streamTurn", input, run);
  }

  private async runStreamTurn(stream: LiveStream, input: TurnInput, endedAt: number, channel?: ReplyChannel) {
    const a = stream.attachment;
    const call = this.host.call;
    if (a.closing || (channel instanceof HeldReply && channel.isDropped)) return;
    try {
      const { result, event } = await runTurn(call, input, channel ?? stream);
      if (event) log(event.event, event.fields);
      stream.metrics(result.turnId, result.latencyMs, endedAt);
      if (result.callStatus === "ended") this.closeAll("agent_hangup");
    } catch (err) {
      // An eager turn the caller talked on over: dropped unstored, as planned (held-reply.ts).
      if (channel instanceof HeldReply && channel.isDropped) return;
      recordTurnFailed(call.env, this.host.ctx, input.payload);
      const api = asApiError(err);
      if (!api) return stream.crashed("stream_turn_failed", err);
      if (api.options.internal) log("api_error", { code: api.code, internal: api.options.internal }, "warn");
      if (api.code === "call_ended") stream.fail(api, CLOSE.callEnded);
      else if (api.code === "call_not_found") stream.fail(api, CLOSE.notFound);
      else stream.problem(api);
    } finally {
      call.deadlines.clear();
    }
  }
}
