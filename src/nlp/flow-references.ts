/**
 * Cross-reference checks for a flow whose shape is already valid: every state or intent a flow
 * names must exist, keypad keys must be unambiguous, and patterns must compile. These are the
 * mistakes that would otherwise surface as a dead end in the middle of a live call.
 */
import type { z } from "zod";
import type { FlowIntent, FlowShape } from "./flow-shape";
import { intentsAllowedIn } from "./flow-scope";
import { COLLECT_INTENT, FALLBACK_INTENT, MISS_COUNTER_KEY } from "./reserved-names";
import { referencedPaths } from "./template";

type Report = (message: string, path: PropertyKey[]) => void;

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

function checkStates(flow: FlowShape, report: Report): void {
  const stateNames = Object.keys(flow.states);
  const known = `defined states: ${stateNames.join(", ") || "none"}`;
  const intentNames = new Set(flow.intents.map((i) => i.name));

  if (!Object.hasOwn(flow.states, flow.initialState)) {
    report(`initialState "${flow.initialState}" is not a defined state (${known})`, ["initialState"]);
  }
  for (const [name, state] of Object.entries(flow.states)) {
    if (state.next !== undefined && !Object.hasOwn(flow.states, state.next)) {
      report(`state "${name}": next "${state.next}" is not a defined state (${known})`, ["states", name, "next"]);
    }
    if (Array.isArray(state.intents)) {
      state.intents.forEach((intent, i) => {
        if (!intentNames.has(intent)) {
          report(`state "${name}" allows unknown intent "${intent}"`, ["states", name, "intents", i]);
        }
      });
    }
    const collect = state.collect;
    if (!collect) continue;
    if (collect.digits && collect.digits.min > collect.digits.max) {
      report(`state "${name}": collect.digits.min (${collect.digits.min}) exceeds max (${collect.digits.max})`, [
        "states",
        name,
        "collect",
        "digits",
      ]);
    }
    if (collect.pattern !== undefined && !compiles(collect.pattern)) {
      report(`state "${name}": collect.pattern is not a valid regular expression`, [
        "states",
        name,
        "collect",
        "pattern",
      ]);
    }
    if (collect.slot === MISS_COUNTER_KEY) {
      report(`state "${name}": collect.slot may not be "${MISS_COUNTER_KEY}" (reserved)`, [
        "states",
        name,
        "collect",
        "slot",
      ]);
    }
    if (collect.reply !== undefined) {
      for (const path of referencedPaths(collect.reply)) {
        if (path.startsWith("slots.") && path !== `slots.${collect.slot}`) {
          report(`state "${name}": collect.reply uses {{${path}}} but the step only collects "${collect.slot}"`, [
            "states",
            name,
            "collect",
            "reply",
          ]);
        }
      }
    }
  }
}

function checkSlots(intent: FlowIntent, index: number, report: Report): void {
  const seen = new Set<string>();
  (intent.slots ?? []).forEach((slot, s) => {
    const path = ["intents", index, "slots", s];
    const where = `intent "${intent.name}" slot "${slot.name}"`;
    if (seen.has(slot.name)) report(`${where} is declared twice`, [...path, "name"]);
    seen.add(slot.name);
    if (slot.name === MISS_COUNTER_KEY) report(`${where}: the name is reserved`, [...path, "name"]);
    if (slot.type === "enum" && !slot.values) report(`${where}: enum slots need "values"`, path);
    if (slot.type !== "enum" && slot.values)
      report(`${where}: "values" only applies to enum slots`, [...path, "values"]);
    if (slot.type === "regex" && slot.pattern === undefined) report(`${where}: regex slots need "pattern"`, path);
    if (slot.pattern !== undefined && !compiles(slot.pattern)) {
      report(`${where}: pattern is not a valid regular expression`, [...path, "pattern"]);
    }
  });
  for (const path of referencedPaths(intent.reply)) {
    if (path.startsWith("slots.") && !seen.has(path.slice("slots.".length))) {
      report(`intent "${intent.name}": reply uses {{${path}}} but the intent declares no such slot`, [
        "intents",
        index,
        "reply",
      ]);
    }
  }
}

function checkIntents(flow: FlowShape, report: Report): void {
  const known = `defined states: ${Object.keys(flow.states).join(", ") || "none"}`;
  const seen = new Set<string>();
  flow.intents.forEach((intent, i) => {
    const where = `intent "${intent.name}"`;
    if (seen.has(intent.name)) report(`intent name "${intent.name}" is used more than once`, ["intents", i, "name"]);
    seen.add(intent.name);
    if (intent.name === FALLBACK_INTENT || intent.name === COLLECT_INTENT) {
      report(`intent name "${intent.name}" is reserved for the engine`, ["intents", i, "name"]);
    }
    if (intent.nextState !== undefined && !Object.hasOwn(flow.states, intent.nextState)) {
      report(`${where}: nextState "${intent.nextState}" is not a defined state (${known})`, [
        "intents",
        i,
        "nextState",
      ]);
    }
    (intent.states ?? []).forEach((state, s) => {
      if (!Object.hasOwn(flow.states, state)) {
        report(`${where}: states lists "${state}", which is not a defined state (${known})`, [
          "intents",
          i,
          "states",
          s,
        ]);
      }
    });
    const triggerable =
      intent.examples.length > 0 ||
      intent.keywords.length > 0 ||
      (intent.dtmf?.length ?? 0) > 0 ||
      intent.name === flow.fallback.escalateIntent;
    if (!triggerable) report(`${where} can never match: give it examples, keywords or dtmf keys`, ["intents", i]);
    checkSlots(intent, i, report);
  });
  const usedSomewhere = new Set(Object.keys(flow.states).flatMap((s) => intentsAllowedIn(flow, s).map((i) => i.name)));
  flow.intents.forEach((intent, i) => {
    if (!usedSomewhere.has(intent.name) && intent.name !== flow.fallback.escalateIntent) {
      report(`intent "${intent.name}" is not allowed in any state`, ["intents", i]);
    }
  });
}

/** A keypad key must select one intent per state, or the caller's key press would be ambiguous. */
function checkDtmf(flow: FlowShape, report: Report): void {
  for (const stateName of Object.keys(flow.states)) {
    const owner = new Map<string, string>();
    for (const intent of intentsAllowedIn(flow, stateName)) {
      (intent.dtmf ?? []).forEach((key, k) => {
        const other = owner.get(key);
        if (other !== undefined && other !== intent.name) {
          report(`state "${stateName}": keypad key "${key}" is mapped to both "${other}" and "${intent.name}"`, [
            "intents",
            flow.intents.indexOf(intent),
            "dtmf",
            k,
          ]);
        } else owner.set(key, intent.name);
      });
    }
  }
}

function checkFallback(flow: FlowShape, report: Report): void {
  const escalate = flow.fallback.escalateIntent;
  if (escalate !== undefined && !flow.intents.some((i) => i.name === escalate)) {
    report(`fallback.escalateIntent "${escalate}" is not a defined intent`, ["fallback", "escalateIntent"]);
  }
  if (flow.fallback.escalateAfter !== undefined && escalate === undefined) {
    report(`fallback.escalateAfter needs fallback.escalateIntent`, ["fallback", "escalateAfter"]);
  }
}

/** zod superRefine hook: adds one custom issue per broken reference. */
export function checkFlowReferences(flow: FlowShape, ctx: z.RefinementCtx<FlowShape>): void {
  const report: Report = (message, path) => ctx.addIssue({ code: "custom", message, path });
  checkStates(flow, report);
  checkIntents(flow, report);
  checkDtmf(flow, report);
  checkFallback(flow, report);
}
