import type { AgentRef } from "./agent";
import type { EventType } from "./events";
import type { Residency } from "./residency";

/** The records of a call, as stored in every tier and returned by reads. */

export type CallStatus = "active" | "ended";
/** "flow": the flow hung up; "agent": an agent's model did (its end_call tool). */
export type EndReason = "client" | "idle_timeout" | "flow" | "agent";

export interface SessionRecord {
  tenantId: string;
  callId: string;
  userId: string | null;
  language: string;
  flow: string;
  /** Current state of the flow's state machine. */
  state: string;
  context: Record<string, unknown>;
  metadata: Record<string, unknown>;
  status: CallStatus;
  endReason: EndReason | null;
  createdAt: string;
  lastActivityAt: string;
  endedAt: string | null;
  /** Caller turns taken (the greeting is not counted). */
  turnCount: number;
  archivedAt: string | null;
  /** Model tokens an agent's call has used so far (absent: none). */
  llmTokens?: { input: number; output: number };
  /** Data residency (absent on calls created before residency existed: unrestricted). */
  residency?: Residency | null;
  /** The agent version driving the call (absent: a flow call); the object holds the definition (CallStore.agent). */
  agent?: AgentRef;
  /**
   * Events to the tenant's backend (docs/events.md): the types its endpoints asked for when the
   * call was created, and the sequence number of the last event recorded. Absent: none.
   */
  webhooks?: { types: EventType[]; sequence: number };
  /** Post-call analysis of an agent's call whose agent asks for it (absent: none asked, or not yet done). */
  analysis?: CallAnalysis;
}

/** What a model made of a finished agent call (docs/agents.md, "Analysis"), or why it could not. */
export interface CallAnalysis {
  summary?: string;
  /** Data extracted from the call, valid against the agent's `analysis.schema`. */
  data?: Record<string, unknown>;
  /** Whether the call met the agent's `analysis.successCriteria`. */
  success?: boolean;
  /** Set when no model answered, or its data never matched the schema (the rest may still be there). */
  error?: string;
  analyzedAt: string;
}

export interface HistoryEntry {
  turnId: string;
  role: "user" | "assistant";
  text: string;
  at: string;
  source?: "text" | "dtmf" | "speech";
  intent?: { name: string; confidence: number; slots: Record<string, string> };
  latencyMs?: LatencyMs;
  /** A reply the caller talked over on the live stream: `text` is what was played (CallStore.reviseReply). */
  interrupted?: true;
}

export interface LatencyMs {
  stt: number;
  nlp: number;
  tts: number;
  total: number;
  /** An agent's turn: the model's part of `nlp` (its first token, tools and writing), ms. */
  llm?: number;
}

export interface CallView extends SessionRecord {
  history: HistoryEntry[];
}

/** A turn's id: `turn-0` is the greeting, `turn-1` the caller's first turn. */
export function turnIdOf(n: number): string {
  return `turn-${n}`;
}
