import { DurableObject } from "cloudflare:workers";
import type { CallView, EndReason } from "../call/records";
import { getConfig, type Config } from "../config/config";
import { asApiError, problem, problemResponse } from "../lib/errors";
import { SerialQueue } from "../lib/serial-queue";
import { log } from "../observability/log";
import { runInvocation, SpanKind, type RpcTrace } from "../observability/tracing";
import type { CallRuntime } from "../pipeline/call-runtime";
import { ProviderDeadlines } from "../pipeline/deadlines";
import { createCall, patchContext, type Created } from "../pipeline/lifecycle/create";
import { endCall, onAlarm } from "../pipeline/lifecycle/end";
import { retryEventsLater } from "../pipeline/lifecycle/outbox";
import { releaseSlotBeforeErase } from "../pipeline/lifecycle/release-job";
import { pushPendingEvents, sendPendingEvents } from "../pipeline/events";
import { CallStreams } from "../pipeline/live/call-streams";
import { parseStreamOpen, STREAM_OPEN_HEADER } from "../pipeline/live/stream-open";
import { recordCallErased, recordTurnFailed } from "../pipeline/metrics";
import { resolveCallAudio } from "../pipeline/recording";
import { releaseAgentTools } from "../pipeline/stages/agent-model";
import { runTurn } from "../pipeline/turn";
import { activeSession } from "../pipeline/call-runtime";
import { problemAnswer, sseFormat, SseTurnChannel } from "../pipeline/sse-channel";
import type {
  CallEvent,
  CreateCallInput,
  ReplyChannel,
  EndResult,
  EventOnRequestLine,
  RpcResult,
  TurnInput,
  TurnResult,
} from "../pipeline/types";
import { CallStore } from "../storage/call-store";
import type { StoredAudio } from "../storage/call-row";

/**
 * One call, one object: session state, conversation history, idempotency records and audio live
 * in this object's SQLite (src/storage/call-store.ts). This class holds only the object's entry
 * points: RPC methods, the stream's WebSocket upgrade and socket handlers, and the alarm. Each
 * hands off to the pipeline (src/pipeline/: the turn, the call's lifecycle, its live streams);
 * every change runs through one serial queue, so turns apply one at a time, in arrival order.
 */
export class CallSession extends DurableObject<Env> {
  private store: CallStore;
  private readonly queue = new SerialQueue();
  /** Deadlines of provider calls, cleared after each turn so the object can hibernate (deadlines.ts). */
  private readonly deadlines = new ProviderDeadlines();
  /** What the pipeline sees of this object. */
  private readonly call: CallRuntime;
  private readonly streams: CallStreams;
  /** The queue sends of pending events, one after another (two at once would send the same events twice). */
  private eventsSending: Promise<void> = Promise.resolve();
  /** The live stream's wall clock (barge-in's playback model), epoch ms; tests move it. */
  streamNow: () => number = () => Date.now();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new CallStore(ctx.storage);
    // Getters: the store is replaced when the object empties, and tests give the object another env.
    const object = { env: () => this.env, store: () => this.store };
    this.call = {
      get env(): Env {
        return object.env();
      },
      get config(): Config {
        return getConfig(object.env());
      },
      get store(): CallStore {
        return object.store();
      },
      deadlines: this.deadlines,
      storage: ctx.storage,
      wipe: () => this.wipe(),
      closeStreams: (reason) => this.streams.closeAll(reason),
      flushEvents: () => this.flushEvents(),
      sendEvents: () => this.sendEvents(),
      memo: {},
      waitUntil: (work) => ctx.waitUntil(work),
    };
    this.streams = new CallStreams(
      {
        call: this.call,
        ctx,
        now: () => this.streamNow(),
        serially: (fn) => this.queue.run(fn),
        observed: (name, from, fn) => this.observe(name, from, {}, fn),
        end: async (from) => "ok" in (await this.end("client", from)),
      },
      ctx.storage.sql,
    );
  }

  // ---------------------------------------------------------------- RPC: the call's lifecycle

  async create(input: CreateCallInput): Promise<RpcResult<Created>> {
    const ids = { tenantId: input.tenantId, callId: input.callId };
    return this.observe("CallSession.create", input, ids, () =>
      this.queue.run(() => this.answer(input, () => createCall(this.call, input))),
    );
  }

  async get(): Promise<CallView | null> {
    const session = this.store.getSession();
    return session ? { ...session, history: this.store.history() } : null;
  }

  async patchContext(patch: Record<string, unknown>): Promise<RpcResult<CallView>> {
    return this.queue.run(() =>
      this.answer({}, async () => {
        const updated = await patchContext(this.call, patch);
        return { result: { ...updated, history: this.store.history() } };
      }),
    );
  }

  async turn(input: TurnInput): Promise<RpcResult<TurnResult>> {
    return this.turnInOrder(input);
  }

  /**
   * A turn answered as Server-Sent Events (Accept: text/event-stream): the event stream is
   * returned at once, and the turn runs in the call's order, reporting to it as it goes.
   */
  async turnEvents(input: TurnInput): Promise<RpcResult<ReadableStream<Uint8Array>>> {
    return this.answer({}, async () => {
      activeSession(this.call);
      const channel = new SseTurnChannel(input.reply, sseFormat(input.reply.format));
      const finished = this.turnInOrder(input, channel)
        .catch((err: unknown) => problemAnswer(err, input.requestId))
        .then((answer) => channel.finish(answer, input.requestId));
      this.ctx.waitUntil(finished);
      return { result: channel.readable };
    });
  }

  private turnInOrder(input: TurnInput, stream?: ReplyChannel): Promise<RpcResult<TurnResult>> {
    return this.observe("CallSession.turn", input, {}, () =>
      this.queue.run(async () => {
        const answer = await this.answer(input, async () => {
          const turn = await runTurn(this.call, input, stream);
          // The flow hung up: a live stream on the call hears it too.
          if (turn.result.callStatus === "ended") {
            this.streams.closeAll("agent_hangup");
            await releaseAgentTools(this.call);
          }
          return turn;
        }).catch((err: unknown) => {
          recordTurnFailed(this.env, this.ctx, input.payload);
          throw err;
        });
        if ("error" in answer) recordTurnFailed(this.env, this.ctx, input.payload);
        return answer;
      }),
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
      this.queue.run(() =>
        this.answer(from, async () => {
          const ended = await endCall(this.call, reason, from);
          await releaseAgentTools(this.call);
          return ended;
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
      this.streams.closeAll("erased");
      // Only this object knows which shard holds the call's slot: given back before it forgets.
      await releaseSlotBeforeErase(this.call);
      await this.wipe();
      return existed;
    });
  }

  /** Idle timeout and outbox retries share the object's one alarm. */
  override async alarm(): Promise<void> {
    await this.observe("CallSession.alarm", {}, {}, () =>
      this.queue.run(async () => {
        const ended = await onAlarm(this.call);
        if (ended) {
          log(ended.event, ended.fields);
          await releaseAgentTools(this.call);
        }
      }),
    );
  }

  // ---------------------------------------------------------------- the live stream (src/pipeline/live/)

  /** A single-use token that opens this call's stream without an Authorization header (security/stream-token.ts). */
  async issueStreamToken(input: {
    tenantId: string;
    callId: string;
    keyId: string;
  }): Promise<RpcResult<{ token: string; expiresAt: string }>> {
    return this.answer({}, async () => ({ result: await this.streams.issueToken(input) }));
  }

  /**
   * The stream's WebSocket upgrade, forwarded by the Worker's route (http/routes/stream.ts) with
   * who opens it in STREAM_OPEN_HEADER; this object takes no other fetch.
   */
  override async fetch(request: Request): Promise<Response> {
    const open = parseStreamOpen(request.headers.get(STREAM_OPEN_HEADER));
    if (!open || request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
      const detail = "The call object accepts only the call stream's WebSocket upgrade.";
      return problemResponse(problem(400, "bad_request", detail));
    }
    const ids = { tenantId: open.tenantId, callId: open.callId };
    return this.observe("CallSession.stream", open, ids, async () => this.streams.open(open));
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    await this.streams.message(ws, message);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.streams.closed(ws, code, reason);
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    this.streams.errored(ws, error);
  }

  // ---------------------------------------------------------------- how entry points answer

  /**
   * Runs an RPC's body and answers with its result. Client-facing errors travel back as values (an
   * RPC would lose their status and code); anything else is a bug and stays an exception. The call
   * event the body returns goes back in the answer when the calling route writes it on its own
   * request line (EventOnRequestLine), and is logged here otherwise.
   */
  private async answer<T>(
    from: EventOnRequestLine,
    body: () => Promise<{ result: T; event?: CallEvent | undefined }>,
  ): Promise<RpcResult<T>> {
    try {
      const { result, event } = await body();
      if (event && from.eventOnRequestLine) return { ok: result, event };
      if (event) log(event.event, event.fields);
      return { ok: result };
    } catch (err) {
      const api = asApiError(err);
      if (!api) throw err;
      const { status, code, detail } = api;
      return { error: { status, code, detail, ...(api.options.headers ? { headers: api.options.headers } : {}) } };
    } finally {
      this.deadlines.clear();
    }
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

  private sendEvents(): Promise<void> {
    const next = this.eventsSending.catch(() => undefined).then(() => pushPendingEvents(this.call));
    this.eventsSending = next;
    return next;
  }

  private flushEvents(): void {
    if (this.store.pendingEvents().length === 0) return;
    const retry = () => this.queue.run(() => retryEventsLater(this.call));
    this.ctx.waitUntil(sendPendingEvents(this.call, () => this.sendEvents(), retry));
  }

  private async wipe(): Promise<void> {
    await releaseAgentTools(this.call);
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.store = new CallStore(this.ctx.storage);
  }
}
