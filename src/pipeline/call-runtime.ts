import type { Toolbox } from "../agents/types";
import type { SessionRecord } from "../call/records";
import type { Config } from "../config/config";
import { ApiError, errors } from "../lib/errors";
import type { CallStore } from "../storage/call-store";
import type { ProviderDeadlines } from "./deadlines";

/**
 * What the pipeline needs from the Durable Object that holds a call: its bindings and settings,
 * its store, its alarm, the deadlines of its provider calls, and a way to tell its live streams
 * that the call is over. CallSession (src/durable/call-session.ts) is the implementation; every
 * function of the pipeline takes this instead of the object, so none of them imports it.
 */
export interface CallRuntime {
  readonly env: Env;
  readonly config: Config;
  /** The call's tables in the object's SQLite (a new store after the object empties). */
  readonly store: CallStore;
  readonly deadlines: ProviderDeadlines;
  /** The object's storage, for its one alarm. */
  readonly storage: DurableObjectStorage;
  /** Empties the object: its alarm and every table (the call lives on in D1 and R2). */
  wipe(): Promise<void>;
  /** Tells every open stream of the call that it is over (`ended` {reason}, close 1000). */
  closeStreams(reason: string): void;
  /**
   * Sends the call's pending events (pipeline/events.ts) to the queue after the current answer,
   * without waiting for it; a refused send is retried by the outbox. Call it after a write that
   * recorded events.
   */
  flushEvents(): void;
  /**
   * Sends the call's pending events now, after any send in flight (so none is sent twice by this
   * object); throws when the queue refuses them (they stay pending).
   */
  sendEvents(): Promise<void>;
  /** What the object keeps in memory for the call's life (rebuilt after an eviction). */
  readonly memo: CallMemo;
  /** Work that must finish but that no answer waits for (the object's waitUntil). */
  waitUntil(work: Promise<unknown>): void;
}

/** Per-call things worth keeping between turns, in the object's memory only. */
export interface CallMemo {
  /** The agent's tools: MCP servers are connected and listed once per call. */
  toolbox?: { version: number; toolbox: Promise<Toolbox> } | undefined;
  /** When the call last told its slot's shard it is active (release-job.ts keepSlotFresh). */
  slotSeenAt?: number | undefined;
}

/** The call's session while it is active: 404 when the object holds no call, 409 once it has ended. */
export function activeSession(call: CallRuntime): SessionRecord {
  const session = call.store.getSession();
  if (!session) throw new ApiError(404, "call_not_found", "No such call.");
  if (session.status !== "active") throw errors.callEnded(session.callId);
  return session;
}
