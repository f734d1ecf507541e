import { DurableObject } from "cloudflare:workers";
import { bytesToBase64 } from "../lib/base64";
import { concatBytes } from "../lib/bytes";
import { mediaTypeFor } from "../audio/output-format";
import type { DecodedAudio } from "../audio/decode";
import { encodeWav } from "../audio/wav";
import { getConfig, type Config } from "../config/config";
import { ApiError, asApiError, problem, problemResponse, errorMessage } from "../lib/errors";
import { isPaymentStep, redactTurn, type RedactionCounts } from "../security/redaction";
import { FlowIntentEngine } from "../nlp/flow-engine";
import { getFlow } from "../nlp/flows";
import { classifySafely } from "../nlp/safe-classify";
import { splitSentences } from "../nlp/sentences";
import { recognize } from "../pipeline/recognize";
import { synthesize, TtsUnavailableError, type Synthesized } from "../pipeline/synthesize";
import { sttChain, ttsChain } from "../providers/registry";
import { ttsCacheFor } from "../storage/speech-cache";
import type { AttemptRecord } from "../call/attempts";
import { regionCatalog } from "../routing/regions";
import { orderWithinResidency } from "../routing/resident-order";
import type { Residency } from "../call/residency";
import { JOB_ARCHIVE, JOB_INDEX, runArchiveJob, runIndexJob } from "../pipeline/lifecycle/archive-jobs";
import { indexCall } from "../storage/warm-store";
import { outboxRetryDelayMs } from "./backoff";
import { JOB_RELEASE, runReleaseJob } from "../pipeline/lifecycle/release-job";
import {
  addPending,
  CallStore,
  emptyPending,
  newJob,
  type AudioRef,
  type AuditUse,
  type OutboxJob,
  type StoredAudio,
} from "../storage/call-store";
import { resolveCallAudio } from "../pipeline/recording";
import type {
  CreateCallInput,
  EndResult,
  ReplyOptions,
  RpcResult,
  EventOnRequestLine,
  TurnInput,
  TurnPayload,
  TurnResult,
} from "../pipeline/types";
import type { CallerPosition } from "../call/caller";
import type { CallView, EndReason, HistoryEntry, SessionRecord } from "../call/records";
import { SerialQueue } from "../lib/serial-queue";
import { ProviderDeadlines } from "../pipeline/deadlines";
import {
  LiveStream,
  newAttachment,
  parseStreamOpen,
  STREAM_OPEN_HEADER,
  STREAM_TAG,
  TWILIO_STREAM_TAG,
  type ReplyChannel,
  type StreamAttachment,
  type StreamHost,
} from "../pipeline/live/live-stream";
import { twilioAdapter } from "../pipeline/live/twilio-adapter";
import { CLOSE } from "../stream/protocol";
import { mintStreamToken, STREAM_TOKEN_TTL_MS, StreamTokenStore } from "../security/stream-token";
import { addToShards, callEnded, namespaceOf } from "../observability/metrics-global";
import {
  callStartedDeltas,
  recordCallErased,
  recordTurnFailed,
  turnDeltas,
  turnOutcome,
  writeTurnDataPoint,
} from "../pipeline/metrics";
import { hmacSha256Hex } from "../security/crypto";
import { carryEvent, log } from "../observability/log";
import { annotateScope } from "../observability/scope";
import { inSpan, runInvocation, SpanKind, type RpcTrace } from "../observability/tracing";

const REDACTED = "[redacted keypad input]";
/**
 * Reply audio already in the speech cache is referenced, not copied, when its entry has at least
 * this much of its TTL left: a call is archived within its idle timeout (plus retries) of its last
 * turn, long before that.
 */
const MIN_CACHE_LIFE_LEFT_MS = 86_400_000;

/** Client-facing errors travel back as values; anything else is a bug and stays an exception. */
function failure(err: unknown): RpcResult<never> {
  const api = asApiError(err);
  if (!api) throw err;
  return {
    error: {
      status: api.status,
      code: api.code,
      detail: api.detail,
      ...(api.options.headers ? { headers: api.options.headers } : {}),
    },
  };
}

function turnId(n: number): string {
  return `turn-${n}`;
}

/**
 * One call, one object: session state, conversation history, idempotency records and audio live
 * in this object's SQLite. Its RPC methods are the only way to change a call; every change runs
 * through one serial queue so turns apply one at a time, in arrival order.
 */
export class CallSession extends DurableObject<Env> {
  private store: CallStore;
  private readonly queue = new SerialQueue();
  /** Deadlines of provider calls, cleared after each turn so the object can hibernate (deadlines.ts). */
  private readonly deadlines = new ProviderDeadlines();
  private readonly tokens: StreamTokenStore;
  /** This instance's view of its open streams (rebuilt from the sockets' attachments after hibernation). */
  private readonly live = new WeakMap<WebSocket, LiveStream>();
  /** The live stream's wall clock (barge-in's playback model), epoch ms; tests move it. */
  streamNow: () => number = () => Date.now();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new CallStore(ctx.storage);
    this.tokens = new StreamTokenStore(ctx.storage.sql);
  }

  private get config(): Config {
    return getConfig(this.env);
  }

  private engineFor(session: { flow: string }): { engine: FlowIntentEngine; initialState: string } {
    const flow = getFlow(session.flow);
    if (!flow) throw new ApiError(422, "unknown_flow", `Flow '${session.flow}' does not exist.`);
    return { engine: new FlowIntentEngine(flow), initialState: flow.initialState };
  }

  // ---------------------------------------------------------------- RPC: lifecycle

  async create(input: CreateCallInput): Promise<
    RpcResult<{
      session: SessionRecord;
      greeting: { text: string; audio?: TurnResult["reply"]["audio"] };
      degraded?: string[];
    }>
  > {
    return this.observe("CallSession.create", input, { tenantId: input.tenantId, callId: input.callId }, () =>
      this.carrying("call_started", input, () =>
        this.queue.run(async () => {
          try {
            if (this.store.getSession()) {
              throw new ApiError(
                409,
                "call_exists",
                `A call with id '${input.callId}' already exists; choose another callId or omit it.`,
              );
            }
            const { engine, initialState } = this.engineFor(input);
            const now = new Date().toISOString();
            const greet = engine.greeting({ state: initialState, context: input.context });
            const spoken = await this.speak(
              greet.reply,
              input.language,
              input.reply,
              { tenantId: input.tenantId, residency: input.residency },
              input.caller,
            );
            const session: SessionRecord = {
              tenantId: input.tenantId,
              callId: input.callId,
              userId: input.userId,
              language: input.language,
              flow: input.flow,
              state: greet.nextState,
              context: input.context,
              metadata: input.metadata,
              status: "active",
              endReason: null,
              createdAt: now,
              lastActivityAt: now,
              endedAt: null,
              turnCount: 0,
              archivedAt: null,
              residency: input.residency,
            };
            const id = turnId(0);
            this.store.transaction(() => {
              this.store.appendTurn(session, [{ turnId: id, role: "assistant", text: greet.reply, at: now }], {
                refs: this.replyAudio(id, spoken.synth),
                metrics: callStartedDeltas(spoken.audio?.cache),
                ...use(input, "call.create", now),
              });
            });
            log("call_started", {
              flow: session.flow,
              language: session.language,
              residency: session.residency ?? undefined,
              greeting: spoken.synth
                ? { provider: spoken.synth.provider, region: spoken.synth.region, cache: spoken.synth.cache }
                : undefined,
              degraded: spoken.degraded,
            });
            // List views read D1: index the new call now (its row only: the create's audit use goes
            // with the first sync, which the first turn queues, or the archive), and leave it to a
            // queued sync if D1 is down. Its start goes to a shard now too, so "calls now" counts it
            // from the start (awaited before a sync could send it again).
            const [indexed] = await Promise.allSettled([
              indexCall(this.env.DB, session),
              this.countStart(callStartedDeltas(spoken.audio?.cache)),
            ]);
            if (indexed.status === "rejected") {
              log("index_deferred", { error: errorMessage(indexed.reason) }, "warn");
              this.store.enqueueIfAbsent(JOB_INDEX, Date.now());
              await this.drainOutbox();
            }
            await this.reschedule();
            return {
              ok: {
                session,
                greeting: { text: greet.reply, ...(spoken.audio ? { audio: spoken.audio } : {}) },
                ...(spoken.degraded ? { degraded: [spoken.degraded] } : {}),
              },
            };
          } catch (err) {
            return failure(err);
          } finally {
            this.deadlines.clear();
          }
        }),
      ),
    );
  }

  async get(): Promise<CallView | null> {
    const session = this.store.getSession();
    return session ? { ...session, history: this.store.history() } : null;
  }

  async patchContext(patch: Record<string, unknown>): Promise<RpcResult<CallView>> {
    return this.queue.run(async () => {
      try {
        const session = this.requireActive();
        const context = { ...session.context };
        // JSON merge-patch semantics (RFC 7386, one level): null removes a key.
        for (const [k, v] of Object.entries(patch)) {
          if (v === null) delete context[k];
          else context[k] = v;
        }
        if (new TextEncoder().encode(JSON.stringify(context)).byteLength > this.config.MAX_CONTEXT_BYTES) {
          throw new ApiError(
            413,
            "payload_too_large",
            `The merged context would exceed ${this.config.MAX_CONTEXT_BYTES} ` +
              "bytes of JSON; remove keys or send smaller values.",
          );
        }
        const updated: SessionRecord = { ...session, context, lastActivityAt: new Date().toISOString() };
        this.store.putSession(updated);
        await this.reschedule();
        return { ok: { ...updated, history: this.store.history() } };
      } catch (err) {
        return failure(err);
      }
    });
  }

  async turn(input: TurnInput): Promise<RpcResult<TurnResult>> {
    return this.observe("CallSession.turn", input, {}, () =>
      this.carrying("turn", input, () =>
        this.queue.run(async () => {
          try {
            const result = await this.applyTurn(input);
            // The flow hung up: a live stream on the call hears it too.
            if (result.callStatus === "ended") this.closeStreams("agent_hangup");
            return { ok: result };
          } catch (err) {
            recordTurnFailed(this.env, this.ctx, input.payload);
            return failure(err);
          } finally {
            this.deadlines.clear();
          }
        }),
      ),
    );
  }

  /**
   * `from`: the ending request's ids and trace, for the call_ended and archive_written lines and spans, and its key for
   * the audit log.
   */
  async end(
    reason: EndReason = "client",
    from: { requestId?: string; trace?: RpcTrace; actor?: string } & EventOnRequestLine = {},
  ): Promise<RpcResult<EndResult>> {
    return this.observe("CallSession.end", from, {}, () =>
      this.carrying("call_ended", from, () =>
        this.queue.run(async () => {
          try {
            const session = this.store.getSession();
            if (!session) throw new ApiError(404, "call_not_found", "No such call.");
            const endUse = use(from, "call.end", new Date().toISOString());
            if (session.status === "active") {
              const atOnce = await this.endAtOnce(session, reason, endUse.use);
              // Only now: a stream told the call is over may read it at once, and must find it ended.
              this.closeStreams("ended_elsewhere");
              if (atOnce.archived)
                return {
                  ok: {
                    callId: session.callId,
                    status: "ended",
                    endedAt: atOnce.session.endedAt ?? new Date().toISOString(),
                    endReason: reason,
                    archive: "done",
                  },
                };
            }
            // Ending an ended call again (its archive still pending) is a use too.
            else if (endUse.use) this.store.putSession(session, endUse);
            // Read before the outbox runs: a completed archive empties this object.
            const ended = this.store.getSession() ?? session;
            const archive = await this.drainOutbox();
            await this.reschedule();
            return {
              ok: {
                callId: session.callId,
                status: "ended",
                endedAt: ended.endedAt ?? new Date().toISOString(),
                endReason: ended.endReason ?? reason,
                archive: archive.pending ? "pending" : "done",
              },
            };
          } catch (err) {
            return failure(err);
          }
        }),
      ),
    );
  }

  /** Caller and reply audio of the call (or one turn), in conversation order. */
  async audio(turn?: string): Promise<StoredAudio[]> {
    const session = this.store.getSession();
    return session ? resolveCallAudio(this.env, session, this.store.audio(turn), this.store.history()) : [];
  }

  /** Removes every trace of the call from this object (erasure). Returns whether it held one. */
  async erase(): Promise<boolean> {
    return this.queue.run(async () => {
      const existed = this.store.getSession() !== null;
      if (this.store.getSession()?.status === "active") recordCallErased(this.env, this.ctx);
      this.closeStreams("erased");
      await this.wipe();
      return existed;
    });
  }

  /** Idle timeout and archive retries share the object's one alarm. */
  override async alarm(): Promise<void> {
    await this.observe("CallSession.alarm", {}, {}, () =>
      this.queue.run(async () => {
        const session = this.store.getSession();
        if (!session) return;
        if (session.status === "active" && Date.now() >= this.idleDeadline(session)) {
          const atOnce = await this.endAtOnce(session, "idle_timeout");
          this.closeStreams("idle_timeout"); // once the end is recorded (see end())
          if (atOnce.archived) return;
        }
        await this.drainOutbox();
        await this.reschedule();
      }),
    );
  }

  // ---------------------------------------------------------------- live stream (call-stream.ts)

  /** A single-use token that opens this call's stream without an Authorization header (security/stream-token.ts). */
  async issueStreamToken(input: {
    tenantId: string;
    callId: string;
    keyId: string;
  }): Promise<RpcResult<{ token: string; expiresAt: string }>> {
    try {
      const session = this.requireActive();
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
      return { ok: { token, expiresAt: new Date(expiresAt).toISOString() } };
    } catch (err) {
      return failure(err);
    }
  }

  /**
   * The stream's WebSocket upgrade, forwarded by the Worker's route (http/routes/stream.ts) with who
   * opens it in STREAM_OPEN_HEADER; this object takes no other fetch. Refusals are problem
   * responses before any upgrade: 401 for a token that is not valid here (checked before anything
   * about the call is told), 404 no such call, 409 the call has ended. An open stream of the call
   * is replaced by the new one (a reconnecting client must not be locked out by its own dead socket).
   */
  override async fetch(request: Request): Promise<Response> {
    const open = parseStreamOpen(request.headers.get(STREAM_OPEN_HEADER));
    if (!open || request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
      return problemResponse(
        problem(400, "bad_request", "The call object accepts only the call stream's WebSocket upgrade."),
      );
    }
    return this.observe("CallSession.stream", open, { tenantId: open.tenantId, callId: open.callId }, async () => {
      if (open.tokenHash !== undefined && !this.tokens.redeem(open.tokenHash, open.actor ?? "", Date.now())) {
        return problemResponse(
          problem(
            401,
            "unauthorized",
            "The stream token is not valid: it has expired (tokens last 60 s), was already used, or was " +
              "issued for another call. Get a new one from POST /api/v1/calls/{callId}/stream-token.",
            open.requestId,
          ),
          { "WWW-Authenticate": 'Bearer realm="voice-edge", error="invalid_token"' },
        );
      }
      const session = this.store.getSession();
      if (!session || session.tenantId !== open.tenantId || session.callId !== open.callId) {
        return problemResponse(
          problem(404, "call_not_found", `No call with id '${open.callId}' exists for this tenant.`, open.requestId),
        );
      }
      if (session.status !== "active") {
        return problemResponse(
          problem(409, "call_ended", `Call '${open.callId}' has ended; start a new call to continue.`, open.requestId),
        );
      }
      for (const old of this.streamSockets()) {
        this.streamFor(old)?.fail(
          {
            status: 409,
            code: "stream_replaced",
            detail: "Another stream was opened for this call; this one is closed.",
          },
          CLOSE.policyViolation,
        );
      }
      const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
      this.ctx.acceptWebSocket(server, [open.twilio ? TWILIO_STREAM_TAG : STREAM_TAG]);
      server.serializeAttachment(newAttachment(open));
      // Opening the stream is a use of the key on this call, for the audit log (synced with the call).
      const opened = use(open, "call.stream", new Date().toISOString());
      if (opened.use) this.store.putSession(session, opened);
      log("stream_opened", { via: open.twilio ? "twilio" : open.tokenHash ? "token" : "key" });
      return new Response(null, { status: 101, webSocket: client });
    });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const stream = this.streamFor(ws);
    if (stream) await stream.receive(message);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    const stream = this.streamFor(ws);
    if (stream && !stream.attachment.closing) {
      log("stream_closed", {
        tenantId: this.store.getSession()?.tenantId,
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

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    log("stream_socket_error", { message: errorMessage(error) }, "warn");
    this.live.delete(ws);
  }

  /** The stream of a socket: this instance's, or rebuilt from its attachment after hibernation. */
  private streamFor(ws: WebSocket): LiveStream | undefined {
    const known = this.live.get(ws);
    if (known) return known;
    const attachment = ws.deserializeAttachment() as StreamAttachment | null;
    const tags = this.ctx.getTags(ws);
    const twilio = tags.includes(TWILIO_STREAM_TAG);
    if (!(twilio || tags.includes(STREAM_TAG)) || attachment?.v !== 1) {
      try {
        ws.close(CLOSE.internalError, "unknown socket");
      } catch {
        // already closed
      }
      return undefined;
    }
    const stream = new LiveStream(ws, attachment, this.streamHost(), twilio ? twilioAdapter : undefined);
    this.live.set(ws, stream);
    return stream;
  }

  /**
   * Tells every open stream the call is over (`ended` {reason}, close 1000); a stream that sent `stop` hears "stop".
   */
  private closeStreams(reason: string): void {
    for (const ws of this.streamSockets()) {
      const stream = this.streamFor(ws);
      stream?.end(stream.stopping ? "stop" : reason);
    }
  }

  /** The call's stream sockets: our protocol's and Twilio's (call-stream.ts, pipeline/live/twilio-adapter.ts). */
  private streamSockets(): WebSocket[] {
    return [...this.ctx.getWebSockets(STREAM_TAG), ...this.ctx.getWebSockets(TWILIO_STREAM_TAG)];
  }

  private streamHost(): StreamHost {
    return {
      now: () => this.streamNow(),
      maxTextChars: () => this.config.MAX_TEXT_CHARS,
      secureStep: () => {
        const session = this.store.getSession();
        return session ? getFlow(session.flow)?.states[session.state]?.secure === true : false;
      },
      replyText: (id) => this.store.history().find((e) => e.turnId === id && e.role === "assistant")?.text ?? null,
      turn: (stream, payload, endedAt) => this.streamTurn(stream, payload, endedAt),
      stop: async (stream) => {
        const answer = await this.end("client", {
          requestId: stream.attachment.requestId,
          ...(stream.attachment.actor ? { actor: stream.attachment.actor } : {}),
        });
        // Nothing left to end (the call ended meanwhile, or was erased): close all the same.
        if ("error" in answer || !stream.attachment.closing) stream.end("stop");
      },
      reviseReply: (id, spokenText) =>
        this.queue.run(async () => {
          this.store.transaction(() => this.store.reviseReply(id, spokenText));
        }),
    };
  }

  /** A live stream's turn, in the call's turn order; its outcome goes back over the stream. */
  private streamTurn(stream: LiveStream, payload: TurnPayload, endedAt: number): Promise<void> {
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
    return this.observe("CallSession.streamTurn", input, {}, () =>
      this.queue.run(async () => {
        if (a.closing) return;
        try {
          const result = await this.applyTurn(input, stream);
          stream.metrics(result.turnId, result.latencyMs, endedAt);
          if (result.callStatus === "ended") this.closeStreams("agent_hangup");
        } catch (err) {
          recordTurnFailed(this.env, this.ctx, payload);
          const api = asApiError(err);
          if (!api) {
            log(
              "stream_turn_failed",
              {
                message: errorMessage(err),
                stack: err instanceof Error ? err.stack : undefined,
              },
              "error",
            );
            stream.fail(
              {
                status: 500,
                code: "internal_error",
                detail:
                  "Something went wrong on our side; quote request id " +
                  `${a.requestId} when reporting it. Reconnect to continue the call.`,
              },
              CLOSE.internalError,
            );
            return;
          }
          if (api.options.internal) log("api_error", { code: api.code, internal: api.options.internal }, "warn");
          if (api.code === "call_ended") stream.fail(api, CLOSE.callEnded);
          else if (api.code === "call_not_found") stream.fail(api, CLOSE.notFound);
          else stream.problem(api);
        } finally {
          this.deadlines.clear();
        }
      }),
    );
  }

  /**
   * Runs an RPC's body. Its call event (`event`) goes back in the answer when the calling route
   * writes it on its own request line (EventOnRequestLine), and is printed here otherwise, or if
   * the RPC failed after logging it (the route logs no event for a failure).
   */
  private async carrying<R extends RpcResult<unknown>>(
    event: string,
    from: EventOnRequestLine,
    fn: () => Promise<R>,
  ): Promise<R> {
    const { value, carried } = await carryEvent(from.eventOnRequestLine ? event : undefined, fn);
    if (!carried) return value;
    if ("ok" in value) return { ...value, event: carried };
    log(carried.event, carried.fields);
    return value;
  }

  /**
   * One invocation of this object, traced and logged as part of the request that made it: the
   * RPC inputs carry its request id and trace (a child span of the caller's), since RPC itself
   * carries no trace context. Spans and the log sink's lines are sent in waitUntil.
   */
  private observe<T>(
    name: string,
    from: { requestId?: string | undefined; trace?: RpcTrace | undefined },
    ids: { tenantId?: string; callId?: string },
    fn: () => Promise<T>,
  ): Promise<T> {
    const session = this.store.getSession();
    return runInvocation(
      {
        env: this.env,
        waitUntil: (p) => this.ctx.waitUntil(p),
        name,
        kind: SpanKind.SERVER,
        requestId: from.requestId,
        traceId: from.trace?.traceId,
        traceparent: from.trace?.traceparent,
        tenantId: ids.tenantId ?? session?.tenantId,
        callId: ids.callId ?? session?.callId,
      },
      fn,
    );
  }

  // ---------------------------------------------------------------- turn pipeline

  private requireActive(): SessionRecord {
    const session = this.store.getSession();
    if (!session) throw new ApiError(404, "call_not_found", "No such call.");
    if (session.status !== "active") {
      throw new ApiError(409, "call_ended", `Call '${session.callId}' has ended; start a new call to continue.`);
    }
    return session;
  }

  /**
   * One caller turn: STT → NLP → TTS, stored in one row. `stream`: a live stream's turn, whose
   * transcript, intent and reply go out as soon as they are known and whose reply is synthesised
   * and sent sentence by sentence (see call-stream.ts); stored like any other turn, except that a
   * reply the caller cut short is stored as what was played.
   */
  private async applyTurn(input: TurnInput, stream?: ReplyChannel): Promise<TurnResult> {
    const session = this.requireActive();
    annotateScope({ tenantId: session.tenantId, callId: session.callId });
    // Stored and compared as a keyed hash (see CallStore.fingerprintKey), never the route's plain one.
    const fingerprint = input.idempotencyKey ? await hmacSha256Hex(this.store.fingerprintKey(), input.fingerprint) : "";
    if (input.idempotencyKey) {
      const seen = this.store.getIdempotent(input.idempotencyKey);
      if (seen) {
        if (seen.fingerprint !== fingerprint) {
          throw new ApiError(
            422,
            "idempotency_key_reused",
            "This Idempotency-Key was already used with a different request; use a new key for a new turn.",
          );
        }
        // A replay is a use of the key like any other (the route leaves its audit record to us).
        const replayUse = use(input, "call.turn", new Date().toISOString());
        if (replayUse.use) this.store.putSession(session, replayUse);
        return JSON.parse(seen.json) as TurnResult;
      }
    }
    if (session.turnCount >= this.config.MAX_TURNS_PER_CALL) {
      throw new ApiError(
        422,
        "turn_limit_reached",
        `This call reached its limit of ${this.config.MAX_TURNS_PER_CALL} turns; end it and start a new call.`,
      );
    }

    const started = performance.now();
    // Chains are built per use: cheap, and changed settings (rotated secrets, reordered providers) apply at once.
    const heard = await inSpan("stt", { "voice.stage": "stt", "voice.input": input.payload.kind }, async (span) => {
      const out = await recognize(
        input.payload,
        session.language,
        () =>
          orderWithinResidency(
            sttChain(this.env, this.config),
            input.caller ?? {},
            session.residency,
            "speech-to-text",
            regionCatalog(this.config),
          ),
        undefined,
        { timeout: this.deadlines.timeout },
      );
      span?.setAttributes({
        "voice.source": out.source,
        ...(out.provider ? { "voice.provider": out.provider, "voice.region": out.region ?? "" } : {}),
      });
      return out;
    });
    const afterStt = performance.now();

    const { engine } = this.engineFor(session);
    const { result: decision, degraded: nlpDegraded } = await inSpan(
      "nlp",
      { "voice.stage": "nlp", "voice.flow": session.flow, "voice.state": session.state },
      async (span) => {
        const out = await classifySafely(
          engine,
          { text: heard.text, source: heard.source },
          { state: session.state, context: session.context },
        );
        span?.setAttributes({
          "voice.intent": out.result.intent.name,
          ...(out.degraded ? { "voice.degraded": out.degraded } : {}),
        });
        return out;
      },
    );
    const afterNlp = performance.now();

    // Cards, security codes (in a payment step or next to "cvv"...) and REDACT_PATTERNS are masked
    // in everything this turn stores, returns, speaks or logs (PCI DSS 3.3.1). The engine above
    // saw the raw text (an amount slot needs it); slots and the reply derived from it are masked.
    const stateNow = Object.hasOwn(engine.flow.states, session.state) ? engine.flow.states[session.state] : undefined;
    const redaction = redactTurn(heard.text, {
      payment: isPaymentStep(session.state, stateNow),
      patterns: this.config.REDACT_PATTERNS,
      maxPatternChars: this.config.MAX_TEXT_CHARS,
    });
    const replyText = redaction.derived(decision.reply);
    const intent = { ...decision.intent, slots: redaction.derivedValues(decision.intent.slots) };
    const id = turnId(session.turnCount + 1);
    // Digits keyed in a secure step (card numbers, PINs) are neither stored nor echoed.
    const heardText = decision.secure ? REDACTED : redaction.text;
    stream?.understood({ turnId: id, transcript: { text: heardText, source: heard.source }, intent, replyText });

    const spoken = await inSpan("tts", { "voice.stage": "tts", "voice.reply_mode": input.reply.mode }, async (span) => {
      const owner = { tenantId: session.tenantId, residency: session.residency ?? null };
      const out = stream
        ? await this.speakStreaming(id, replyText, session.language, stream, owner, input.caller)
        : await this.speak(replyText, session.language, input.reply, owner, input.caller);
      if (out.synth)
        span?.setAttributes({
          "voice.provider": out.synth.provider,
          "voice.region": out.synth.region,
          "voice.cache": out.synth.cache,
        });
      if (out.degraded) span?.setAttribute("voice.degraded", out.degraded);
      return out;
    });
    const done = performance.now();

    const now = new Date().toISOString();
    const latencyMs = {
      // Text and keypad turns run no recognizer: their STT stage is zero by definition.
      stt: input.payload.kind === "audio" ? round(afterStt - started) : 0,
      nlp: round(afterNlp - afterStt),
      tts: round(done - afterNlp),
      total: round(done - started),
    };
    const redacted: RedactionCounts = decision.secure && heard.text ? { keypad: 1 } : redaction.counts;
    const result: TurnResult = {
      turnId: id,
      transcript: {
        text: heardText,
        confidence: heard.confidence,
        source: heard.source,
        ...(heard.provider ? { provider: heard.provider, region: heard.region } : {}),
      },
      intent,
      reply: { text: replyText, ...(spoken.audio ? { audio: spoken.audio } : {}) },
      latencyMs,
      ...(nlpDegraded || spoken.degraded
        ? { degraded: [nlpDegraded, spoken.degraded].filter((d): d is string => Boolean(d)) }
        : {}),
      callStatus: decision.endCall ? "ended" : "active",
    };
    const updated: SessionRecord = {
      ...session,
      state: decision.nextState,
      context: { ...session.context, ...redaction.derivedValues(decision.contextUpdates) },
      lastActivityAt: now,
      turnCount: session.turnCount + 1,
    };
    const userEntry: HistoryEntry = {
      turnId: id,
      role: "user",
      text: heardText,
      at: now,
      source: heard.source,
      intent,
      latencyMs,
    };
    // A streamed reply the caller cut short is stored as what was actually played.
    const spokenText = stream?.spokenText(id);
    const replyEntry: HistoryEntry =
      spokenText === undefined
        ? { turnId: id, role: "assistant", text: replyText, at: now }
        : { turnId: id, role: "assistant", text: spokenText, at: now, interrupted: true };
    this.store.transaction(() => {
      // One row: the session, the turn's entries, its reply audio reference, its audit use and metrics.
      this.store.appendTurn(updated, [userEntry, replyEntry], {
        refs: this.replyAudio(id, spoken.synth),
        metrics: turnDeltas(result, heard.attempts, spoken.synth?.attempts),
        ...use(input, "call.turn", now),
        // The D1 list view, the audit log and the metrics shards follow turns at most
        // SYNC_INTERVAL_SECONDS (90 s) behind: one sync (and one alarm) per interval of
        // conversation instead of three writes per turn, queued in this same row write. The end
        // syncs at once.
        ...(decision.endCall
          ? {}
          : { enqueueIfAbsent: { job: JOB_INDEX, nextAt: Date.now() + this.config.SYNC_INTERVAL_SECONDS * 1000 } }),
      });
      // The caller's own audio of a turn that needed masking would still hold what was masked.
      if (input.payload.kind === "audio" && !decision.secure && !redaction.redacted)
        this.storeCallerAudio(id, input.payload.audio);
      if (input.idempotencyKey) this.store.putIdempotent(input.idempotencyKey, fingerprint, JSON.stringify(result));
      if (decision.endCall) this.markEnded(updated, "flow");
    });
    stream?.committed(id);
    if (decision.endCall) await this.drainOutbox();
    await this.reschedule();
    logTurn(input.requestId, updated, result, heard.attempts, spoken.synth?.attempts, redacted);
    writeTurnDataPoint(this.env, updated.tenantId, result.transcript.source, turnOutcome(result), result);
    return result;
  }

  /** TTS for a reply; a failed synthesis degrades the turn to text instead of failing it. */
  private async speak(
    text: string,
    language: string,
    reply: ReplyOptions,
    owner: { tenantId: string; residency: Residency | null },
    caller: CallerPosition = {},
  ) {
    if (reply.mode === "text" || !text) return { audio: undefined, synth: undefined, degraded: undefined };
    try {
      const engines = orderWithinResidency(
        ttsChain(this.env, this.config),
        caller,
        owner.residency,
        "text-to-speech",
        regionCatalog(this.config),
      );
      const synth = await synthesize(text, language, reply, engines, {
        cache: ttsCacheFor(this.env, this.config.TTS_CACHE_TTL_SECONDS, owner),
        resilience: { timeout: this.deadlines.timeout },
      });
      return {
        synth,
        audio: {
          format: synth.audio.format,
          sampleRate: synth.audio.sampleRate,
          base64: bytesToBase64(synth.audio.bytes),
          provider: synth.provider,
          region: synth.region,
          cache: synth.cache,
        },
        degraded: undefined,
      };
    } catch (err) {
      if (ttsUnavailable(err)) return { audio: undefined, synth: undefined, degraded: "tts_unavailable" };
      throw err;
    }
  }

  /**
   * TTS for a live stream's reply: sentence by sentence, each synthesised in the client's format
   * and rate and sent before the next is synthesised, so the caller hears the first sentence
   * while the rest is made. Stops at a barge-in. Returns what speak() returns, for the sentences
   * that were sent (a failed synthesis degrades the rest of the reply to text, as in speak()).
   */
  private async speakStreaming(
    id: string,
    text: string,
    language: string,
    stream: ReplyChannel,
    owner: { tenantId: string; residency: Residency | null },
    caller: CallerPosition = {},
  ) {
    const reply = stream.replyOptions;
    const sent: Synthesized[] = [];
    let degraded: string | undefined;
    if (reply.mode === "audio" && text) {
      try {
        const engines = orderWithinResidency(
          ttsChain(this.env, this.config),
          caller,
          owner.residency,
          "text-to-speech",
          regionCatalog(this.config),
        );
        const cache = ttsCacheFor(this.env, this.config.TTS_CACHE_TTL_SECONDS, owner);
        for (const sentence of splitSentences(text)) {
          if (stream.interrupted(id)) break;
          const synth = await synthesize(sentence, language, reply, engines, {
            cache,
            resilience: { timeout: this.deadlines.timeout },
          });
          if (stream.interrupted(id)) break;
          // Engines that only return a container (mp3, ogg) are filtered out for "pcm" and "mulaw".
          if (synth.audio.format !== reply.format || synth.audio.sampleRate !== reply.sampleRate)
            throw new TtsUnavailableError(`${synth.provider} returned ${synth.audio.format}@${synth.audio.sampleRate}`);
          stream.audio(id, sentence, synth.audio.bytes);
          sent.push(synth);
        }
      } catch (err) {
        if (!ttsUnavailable(err)) throw err;
        degraded = "tts_unavailable";
      }
    }
    stream.replyDone(id);
    const first = sent[0];
    if (!first) return { audio: undefined, synth: undefined, degraded };
    // One sentence keeps its cache entry (the recording may reference it); several are stored joined.
    const synth: Synthesized =
      sent.length === 1
        ? first
        : {
            audio: {
              format: reply.format,
              sampleRate: reply.sampleRate,
              mediaType: mediaTypeFor(reply.format, reply.sampleRate),
              bytes: concatBytes(sent.map((s) => s.audio.bytes)),
            },
            provider: first.provider,
            region: first.region,
            cache: sent.every((s) => s.cache === "hit") ? "hit" : "miss",
            attempts: sent.flatMap((s) => s.attempts ?? []),
          };
    // The turn's result stays inside the object (the stream sent the audio): no base64 copy.
    return {
      synth,
      audio: {
        format: synth.audio.format,
        sampleRate: synth.audio.sampleRate,
        base64: "",
        provider: synth.provider,
        region: synth.region,
        cache: synth.cache,
      },
      degraded,
    };
  }

  /**
   * A reply's audio for the recording: a reference when the speech cache holds it with most of its
   * TTL left (no second copy, no row), else stored here. Returns the references to keep.
   */
  private replyAudio(id: string, synth: Synthesized | undefined): AudioRef[] {
    if (!synth) return [];
    const a = synth.audio;
    const entry = synth.cacheEntry;
    if (entry && entry.storedAt + this.config.TTS_CACHE_TTL_SECONDS * 1000 - Date.now() >= MIN_CACHE_LIFE_LEFT_MS) {
      return [
        {
          turnId: id,
          kind: "reply",
          mediaType: a.mediaType,
          format: a.format,
          sampleRate: a.sampleRate,
          cacheKey: entry.objectKey,
        },
      ];
    }
    this.store.putAudio({
      turnId: id,
      kind: "reply",
      mediaType: a.mediaType,
      format: a.format,
      sampleRate: a.sampleRate,
      bytes: a.bytes,
    });
    return [];
  }

  private storeCallerAudio(id: string, audio: DecodedAudio): void {
    if (audio.kind === "pcm") {
      // Normalised to PCM16 WAV at its own rate: one format for recordings, whatever came in.
      this.store.putAudio({
        turnId: id,
        kind: "caller",
        mediaType: "audio/wav",
        format: "wav",
        sampleRate: audio.sampleRate,
        bytes: encodeWav(audio.samples, audio.sampleRate),
      });
    } else {
      this.store.putAudio({
        turnId: id,
        kind: "caller",
        mediaType: audio.mediaType,
        format: audio.container,
        sampleRate: 0,
        bytes: audio.bytes,
      });
    }
  }

  // ---------------------------------------------------------------- ending, archive outbox, alarm

  private markEnded(session: SessionRecord, reason: EndReason, endUse?: AuditUse): void {
    // One write: the ended session, its figures, and the archive and the release of the call's slot
    // among its tenant's active calls (TENANT_MAX_ACTIVE_CALLS) queued.
    this.store.putSession(endedRecord(session, reason), {
      ...endFigures(reason, endUse),
      enqueue: [
        { job: JOB_ARCHIVE, nextAt: Date.now() },
        { job: JOB_RELEASE, nextAt: Date.now() },
      ],
    });
    logEnded(session, reason);
  }

  /** Rows written are what D1 and Durable Object storage bill: bench/turns.mjs reads them here. */
  private logArchived(session: SessionRecord | null, d1RowsWritten: number): void {
    log("archive_written", {
      tenantId: session?.tenantId,
      callId: session?.callId,
      d1RowsWritten,
      objectRowsWritten: this.store.rowsWritten,
    });
  }

  /**
   * Ends an active call and archives it at once, before anything is written here: the ended call
   * goes to R2 and D1 and its slot back to the tenant, then the object empties, so the end costs
   * this object no row. If a step fails, one write records what markEnded would have plus each
   * job's progress, and the outbox retries the rest with backoff, as after markEnded. A crash
   * before that write leaves the call active here: the client saw no answer, and ending it again
   * (or the idle timeout) redoes the same steps. Returns the ended session and whether the call
   * is archived (and this object empty).
   */
  private async endAtOnce(
    session: SessionRecord,
    reason: EndReason,
    endUse?: AuditUse,
  ): Promise<{ session: SessionRecord; archived: boolean }> {
    const ended = endedRecord(session, reason);
    const pending = addPending(this.store.pending(), endFigures(reason, endUse));
    const now = Date.now();
    const archive: OutboxJob = { job: JOB_ARCHIVE, ...newJob(now) };
    const release: OutboxJob = { job: JOB_RELEASE, ...newJob(now) };
    let archived: { session: SessionRecord; d1RowsWritten: number } | null = null;
    try {
      archived = await runArchiveJob(this.env, this.store, archive, { session: ended, pending });
    } catch (err) {
      this.jobFailed(archive, err, ended);
    }
    let released = false;
    try {
      await runReleaseJob(this.env, this.store, ended);
      released = true;
    } catch (err) {
      this.jobFailed(release, err, ended);
    }
    logEnded(session, reason);
    if (archived) this.logArchived(session, archived.d1RowsWritten);
    if (archived && released) {
      await this.wipe();
      return { session: ended, archived: true };
    }
    const left = [...(archived ? [] : [archive]), ...(released ? [] : [release])];
    // Archived: everything pending went with it.
    this.store.putEnded(archived?.session ?? ended, archived ? emptyPending() : pending, left);
    return { session: ended, archived: false };
  }

  /**
   * Sends a new call's figures (its start, the greeting's cache result) to a shard at once rather
   * than with its first sync, SYNC_INTERVAL_SECONDS after its first turn: voice_calls_active
   * counts the call from its start. They stay pending if the shard cannot be reached (the sync
   * sends them then).
   */
  private async countStart(deltas: Record<string, number>): Promise<void> {
    const namespace = namespaceOf(this.env);
    if (!namespace) return;
    try {
      await addToShards({ namespace }, deltas);
      this.store.sentAhead(deltas);
    } catch (err) {
      log("metrics_update_failed", { message: errorMessage(err) }, "warn");
    }
  }

  /** A failed outbox job: retried after a backoff that grows with its attempts, never dropped. */
  private jobFailed(job: OutboxJob, err: unknown, session: SessionRecord | null): void {
    job.attempts += 1;
    job.nextAt = Date.now() + outboxRetryDelayMs(job.attempts);
    job.lastError = err instanceof Error ? err.message.slice(0, 500) : String(err);
    log(
      "outbox_retry",
      {
        job: job.job,
        attempts: job.attempts,
        tenantId: session?.tenantId,
        callId: session?.callId,
        error: job.lastError,
      },
      "warn",
    );
  }

  private idleDeadline(session: SessionRecord): number {
    return Date.parse(session.lastActivityAt) + this.config.CALL_IDLE_TIMEOUT_SECONDS * 1000;
  }

  /**
   * Runs every due outbox job once. Failures are recorded with a backoff and retried by the
   * alarm; they are never dropped. When the archive is complete and the call's slot given back,
   * the hot copy is released.
   */
  private async drainOutbox(): Promise<{ pending: boolean }> {
    let archived: SessionRecord | null = null;
    let d1RowsWritten = 0;
    const completed: string[] = [];
    for (const job of this.store.outbox()) {
      if (job.nextAt > Date.now()) continue;
      try {
        if (job.job === JOB_INDEX) d1RowsWritten += (await runIndexJob(this.env, this.store, job)).d1RowsWritten;
        else if (job.job === JOB_ARCHIVE) {
          const done = await runArchiveJob(this.env, this.store, job);
          archived = done?.session ?? null;
          d1RowsWritten += done?.d1RowsWritten ?? 0;
        } else if (job.job === JOB_RELEASE) await runReleaseJob(this.env, this.store);
        completed.push(job.job);
      } catch (err) {
        this.jobFailed(job, err, this.store.getSession());
        this.store.updateJob(job);
      }
    }
    const session = this.store.getSession();
    const left = this.store
      .outbox()
      .map((j) => j.job)
      .filter((j) => !completed.includes(j));
    // A mid-call sync writes no line of its own (Workers Logs bills each); a failed one logs outbox_retry.
    if (archived) this.logArchived(session, d1RowsWritten);
    // Archived now, or by an earlier run that left a release pending (archivedAt is set, no archive job is left).
    const archiveDone =
      archived !== null || (session?.status === "ended" && Boolean(session.archivedAt) && !left.includes(JOB_ARCHIVE));
    // A pending release lives in this outbox: the object must not empty before it has run.
    if (archiveDone && !left.includes(JOB_RELEASE)) {
      // D1 and R2 both hold the call now: reads fall through to them and this object empties.
      // (Completed jobs are not written down first: the object is about to hold nothing.)
      await this.wipe();
      return { pending: false };
    }
    // One write for the jobs that completed (and the archived session, when the archive did).
    if (completed.length) this.store.completeJobs(completed, archived ?? undefined);
    return { pending: session?.status === "ended" && !archiveDone };
  }

  private async reschedule(): Promise<void> {
    const session = this.store.getSession();
    const times = this.store.outbox().map((j) => j.nextAt);
    if (session?.status === "active") times.push(this.idleDeadline(session));
    if (times.length === 0) {
      await this.ctx.storage.deleteAlarm();
      return;
    }
    const wanted = Math.max(Date.now(), Math.min(...times));
    // An alarm already set no later than wanted is as good: when it fires, alarm() finds nothing
    // due yet and sets the next one. Moving the idle alarm later on every turn would cost a
    // storage write per turn; this costs at most one early alarm per idle timeout.
    const current = await this.ctx.storage.getAlarm();
    if (current !== null && current <= wanted) return;
    await this.ctx.storage.setAlarm(wanted);
  }

  private async wipe(): Promise<void> {
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.store = new CallStore(this.ctx.storage);
  }
}

/**
 * One line per turn: which provider and region served each stage, how many provider calls that
 * took (more than one means retries or failover), the stage latencies and any degradation.
 */
function logTurn(
  requestId: string,
  session: SessionRecord,
  result: TurnResult,
  sttAttempts?: readonly AttemptRecord[],
  ttsAttempts?: readonly AttemptRecord[],
  redacted: RedactionCounts = {},
): void {
  const stage = (
    provider: string | undefined,
    region: string | undefined,
    attempts: readonly AttemptRecord[] | undefined,
  ) =>
    provider
      ? {
          provider,
          region,
          attempts: attempts?.length ?? 1,
          failover: new Set(attempts?.map((a) => `${a.provider}@${a.region}`)).size > 1,
        }
      : undefined;
  const audio = result.reply.audio;
  log("turn", {
    requestId,
    tenantId: session.tenantId,
    callId: session.callId,
    turnId: result.turnId,
    source: result.transcript.source,
    stt: stage(result.transcript.provider, result.transcript.region, sttAttempts),
    tts: audio ? { ...stage(audio.provider, audio.region, ttsAttempts), cache: audio.cache } : undefined,
    latencyMs: result.latencyMs,
    degraded: result.degraded,
    residency: session.residency ?? undefined,
    // What was masked (kinds and counts only); the line never carries caller text.
    redacted: Object.keys(redacted).length ? redacted : undefined,
  });
}

/** Whether a synthesis failure degrades the reply to text (logged) rather than failing the turn. */
function ttsUnavailable(err: unknown): boolean {
  // Every engine failed, the TTS settings are broken, or no engine may serve this residency:
  // the caller still gets the text reply.
  if (
    err instanceof TtsUnavailableError ||
    (err instanceof ApiError && (err.code === "provider_misconfigured" || err.code === "residency_unavailable"))
  ) {
    log("tts_unavailable", { message: err instanceof ApiError ? err.detail : err.message }, "warn");
    return true;
  }
  return false;
}

/** The audit use a request makes of its key on this call, when it says which key (RPC input `actor`). */
function use(
  from: { actor?: string | undefined; requestId?: string | undefined },
  action: string,
  at: string,
): { use?: AuditUse } {
  return from.actor
    ? { use: { action, actor: from.actor, at, result: "ok", ...(from.requestId ? { requestId: from.requestId } : {}) } }
    : {};
}

function logEnded(session: SessionRecord, reason: EndReason): void {
  log("call_ended", { tenantId: session.tenantId, callId: session.callId, reason, turns: session.turnCount });
}

/** The session as it is once the call has ended now, for `reason`. */
function endedRecord(session: SessionRecord, reason: EndReason): SessionRecord {
  const now = new Date().toISOString();
  return { ...session, status: "ended", endReason: reason, endedAt: now, lastActivityAt: now };
}

/** What ending a call adds to its pending figures: the ended-calls count and the ending request's key use. */
function endFigures(reason: EndReason, endUse?: AuditUse): { metrics: Record<string, number>; use?: AuditUse } {
  return { metrics: callEnded(reason), ...(endUse ? { use: endUse } : {}) };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
