/**
 * Which intents can match in a given state. Shared by flow validation (DTMF keys must be
 * unique among them) and by the engine (only they are scored), so the two never disagree.
 */
import type { FlowIntent, FlowShape } from "./flow-shape";

/** Intents allowed in `stateName`, in flow order: the state's allow-list ∩ each intent's own `states`. */
export function intentsAllowedIn(flow: FlowShape, stateName: string): FlowIntent[] {
  const state = flow.states[stateName];
  const allowList = state?.intents === undefined || state.intents === "*" ? undefined : new Set(state.intents);
  return flow.intents.filter(
    (intent) =>
      (allowList === undefined || allowList.has(intent.name)) &&
      (intent.states === undefined || intent.states.includes(stateName)),
  );
}
