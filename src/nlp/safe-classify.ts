import type { ConversationState, IntentEngine, IntentInput, IntentResult } from "./types";
import { log } from "../observability/log";
import { errorMessage } from "../lib/errors";

/** What a caller hears when the intent engine itself fails: an apology, the call stays where it was. */
export const NLP_FALLBACK_REPLY =
  "Sorry, I'm having trouble understanding right now. Could you say that again, or press 0 for an agent?";

/**
 * Classifies, and degrades instead of failing the turn when the engine throws (a broken flow
 * template, a bug): the caller gets the fallback reply, the state does not move, and the turn is
 * flagged `nlp_fallback` so dashboards can see it.
 */
export async function classifySafely(
  engine: IntentEngine,
  input: IntentInput,
  state: ConversationState,
): Promise<{ result: IntentResult; degraded?: "nlp_fallback" }> {
  try {
    return { result: await engine.classify(input, state) };
  } catch (err) {
    log("nlp_fallback", { engine: engine.name, message: errorMessage(err) }, "error");
    return {
      result: {
        intent: { name: "fallback", confidence: 0, slots: {} },
        reply: NLP_FALLBACK_REPLY,
        nextState: state.state,
        contextUpdates: {},
        endCall: false,
      },
      degraded: "nlp_fallback",
    };
  }
}
