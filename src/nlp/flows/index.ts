/**
 * The built-in flows, validated once when the module loads: a broken flow fails the Worker at
 * startup (and in tests) rather than in the middle of somebody's call. Flows are frozen because
 * every call in the isolate shares the same objects.
 */
import { parseFlow, type Flow } from "../flow-schema";
import contactCenter from "./contact-center.json";
import payments from "./payments.json";

export const DEFAULT_FLOW_ID = "contact-center";

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

const FLOWS: ReadonlyMap<string, Flow> = new Map(
  [contactCenter, payments].map((raw): [string, Flow] => {
    const flow = deepFreeze(parseFlow(raw));
    return [flow.id, flow];
  }),
);

if (!FLOWS.has(DEFAULT_FLOW_ID)) throw new Error(`default flow "${DEFAULT_FLOW_ID}" is not registered`);

/** The flow with this id, or undefined (callers answer 422 for unknown flows). */
export function getFlow(id: string): Flow | undefined {
  return FLOWS.get(id);
}

/** Ids of every built-in flow, default first. */
export function listFlows(): string[] {
  return [...FLOWS.keys()];
}
