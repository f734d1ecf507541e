import type { PinnedAgent } from "../../call/agent";
import type { SessionRecord } from "../../call/records";
import { ApiError } from "../../lib/errors";
import { FlowIntentEngine } from "../../nlp/flow-engine";
import { FlowError, parseFlow, type Flow } from "../../nlp/flow-schema";
import { getFlow } from "../../nlp/flows";
import { classifySafely } from "../../nlp/safe-classify";
import type { IntentResult } from "../../nlp/types";
import { inSpan } from "../../observability/tracing";
import type { Conversed } from "./converse";
import type { Recognized } from "./recognize";

/**
 * The understanding stage: what the caller said, in the flow's state, becomes an intent, a reply,
 * the flow's next state and context updates. Today that is the flow's intent engine (keywords,
 * TF-IDF, slots; offline and deterministic); an agent's language model takes this place in the
 * turn for calls driven by an agent. An engine that throws degrades the turn (`nlp_fallback`).
 */

export interface Understood {
  /** The flow engine that decided (the turn's redaction reads its flow's states); absent for an agent's model. */
  engine?: FlowIntentEngine | undefined;
  decision: IntentResult;
  degraded?: "nlp_fallback" | "llm_unavailable" | "llm_incomplete" | undefined;
  /** An agent's turn: what its model said and did (stages/converse.ts), already redacted. */
  agent?: Conversed | undefined;
}

/**
 * Uploaded flows, parsed once per pinned agent object: CallStore.agent() returns the same object
 * for the life of the call's store, so a call parses its agent's flow once, not every turn.
 */
const uploadedFlows = new WeakMap<PinnedAgent, Flow>();

/**
 * The flow that drives a call: its agent's uploaded flow (validated when the agent was saved; an
 * agent call never falls back to a built-in flow), else the built-in flow the session names.
 * Undefined for an agent driven by a model, or a built-in flow that does not exist.
 */
export function flowOf(session: { flow: string }, agent: PinnedAgent | null | undefined): Flow | undefined {
  if (!agent) return getFlow(session.flow);
  if (agent.definition.flow === undefined) return undefined;
  let flow = uploadedFlows.get(agent);
  if (!flow) {
    try {
      flow = parseFlow(agent.definition.flow);
    } catch (err) {
      if (!(err instanceof FlowError)) throw err;
      // Saved before a change to the flow format: the tenant must save the agent again.
      const detail = `Agent '${agent.agentId}' version ${agent.version} has a flow this deployment cannot run: ${
        err.issues[0] ?? "invalid"
      }; PUT the agent again.`;
      throw new ApiError(422, "invalid_agent", detail);
    }
    uploadedFlows.set(agent, flow);
  }
  return flow;
}

/**
 * The call's flow engine and the state a new call starts in: the agent's uploaded flow when its
 * agent has one, else the built-in flow; 422 for a flow that does not exist.
 */
export function engineFor(
  session: { flow: string },
  agent?: PinnedAgent | null,
): { engine: FlowIntentEngine; initialState: string } {
  const flow = flowOf(session, agent);
  if (!flow) {
    // A model agent's turns are not the flow engine's (the agent loop's stage takes them).
    if (agent) throw new ApiError(503, "llm_unavailable", `Agent '${agent.agentId}' has no flow and no model answers.`);
    throw new ApiError(422, "unknown_flow", `Flow '${session.flow}' does not exist.`);
  }
  return { engine: new FlowIntentEngine(flow), initialState: flow.initialState };
}

/** The turn's NLP stage, traced. `agent`: the call's pinned agent (CallStore.agent()), null for a flow call. */
export function understandStage(
  session: SessionRecord,
  heard: Recognized,
  agent: PinnedAgent | null = null,
): Promise<Understood> {
  const { engine } = engineFor(session, agent);
  const attributes = { "voice.stage": "nlp", "voice.flow": session.flow, "voice.state": session.state };
  return inSpan("nlp", attributes, async (span) => {
    const out = await classifySafely(
      engine,
      { text: heard.text, source: heard.source },
      { state: session.state, context: session.context },
    );
    span?.setAttributes({
      "voice.intent": out.result.intent.name,
      ...(out.degraded ? { "voice.degraded": out.degraded } : {}),
    });
    return { engine, decision: out.result, ...(out.degraded ? { degraded: out.degraded } : {}) };
  });
}

/** An agent's turn in the shape the rest of the turn reads: no intent, the flow state unchanged. */
export function agentUnderstood(session: SessionRecord, conversed: Conversed): Understood {
  return {
    decision: {
      intent: { name: "", confidence: 0, slots: {} },
      reply: conversed.replyText,
      nextState: session.state,
      contextUpdates: {},
      endCall: conversed.endCall,
    },
    ...(conversed.degraded ? { degraded: conversed.degraded } : {}),
    agent: conversed,
  };
}
