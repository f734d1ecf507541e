import type { SessionRecord } from "../../call/records";
import { ApiError } from "../../lib/errors";
import { FlowIntentEngine } from "../../nlp/flow-engine";
import { getFlow } from "../../nlp/flows";
import { classifySafely } from "../../nlp/safe-classify";
import type { IntentResult } from "../../nlp/types";
import { inSpan } from "../../observability/tracing";
import type { Recognized } from "./recognize";

/**
 * The understanding stage: what the caller said, in the flow's state, becomes an intent, a reply,
 * the flow's next state and context updates. Today that is the flow's intent engine (keywords,
 * TF-IDF, slots; offline and deterministic); an agent's language model takes this place in the
 * turn for calls driven by an agent. An engine that throws degrades the turn (`nlp_fallback`).
 */

export interface Understood {
  /** The engine that decided (the turn's redaction reads its flow's states). */
  engine: FlowIntentEngine;
  decision: IntentResult;
  degraded?: "nlp_fallback";
}

/** The call's flow engine and the state a new call starts in; 422 for a flow that does not exist. */
export function engineFor(session: { flow: string }): { engine: FlowIntentEngine; initialState: string } {
  const flow = getFlow(session.flow);
  if (!flow) throw new ApiError(422, "unknown_flow", `Flow '${session.flow}' does not exist.`);
  return { engine: new FlowIntentEngine(flow), initialState: flow.initialState };
}

/** The turn's NLP stage, traced. */
export function understandStage(session: SessionRecord, heard: Recognized): Promise<Understood> {
  const { engine } = engineFor(session);
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
