import { describe, expect, it } from "vitest";
import { FlowError, parseFlow } from "./flow-schema";

/** Loose fixture types: tests deliberately write invalid values into them. */
interface LooseIntent {
  name: string;
  reply?: string;
  examples?: string[];
  [key: string]: unknown;
}
interface LooseFlow {
  initialState: string;
  states: { start: Record<string, unknown>; done: Record<string, unknown> };
  intents: [LooseIntent, LooseIntent, ...LooseIntent[]];
  fallback: { reply?: string; escalateIntent?: string };
  [key: string]: unknown;
}

/** The smallest useful flow; each test breaks one thing in a fresh copy. */
function minimalFlow(): LooseFlow {
  return {
    id: "mini",
    name: "Minimal",
    language: "en-US",
    initialState: "start",
    greeting: "Hi.",
    states: { start: {}, done: {} },
    intents: [
      { name: "yes", examples: ["yes"], keywords: ["yes"], dtmf: ["1"], reply: "Great.", nextState: "done" },
      { name: "no", examples: ["no"], keywords: ["no"], dtmf: ["2"], reply: "Okay." },
    ],
    fallback: { reply: "Sorry?" },
  };
}

/** The FlowError issues thrown for `json`; fails the test if it parses. */
function issuesOf(json: unknown): readonly string[] {
  try {
    parseFlow(json);
  } catch (err) {
    expect(err).toBeInstanceOf(FlowError);
    return (err as FlowError).issues;
  }
  throw new Error("expected parseFlow to reject the flow");
}

describe("parseFlow accepts valid flows", () => {
  it("fills defaults for optional collections", () => {
    const flow = minimalFlow();
    delete flow.intents[1].examples;
    const parsed = parseFlow(flow);
    expect(parsed.contextDefaults).toEqual({});
    expect(parsed.intents[1]?.examples).toEqual([]);
    expect(parsed.intents[0]?.nextState).toBe("done");
  });

  it("allows the same key in different states when intents are state-restricted", () => {
    const flow = minimalFlow();
    flow.intents[0].states = ["start"];
    flow.intents[1].states = ["done"];
    flow.intents[1].dtmf = ["1"];
    expect(() => parseFlow(flow)).not.toThrow();
  });

  it("allows the same key twice when state allow-lists keep the intents apart", () => {
    const flow = minimalFlow();
    flow.intents[1].dtmf = ["1"];
    flow.states.start.intents = ["yes"];
    flow.states.done.intents = ["no"];
    expect(() => parseFlow(flow)).not.toThrow();
  });
});

describe("parseFlow rejects broken flows with readable issues", () => {
  it("names an intent's unknown nextState and lists the defined states", () => {
    const flow = minimalFlow();
    flow.intents[0].nextState = "nowhere";
    expect(issuesOf(flow)).toEqual([
      'intents[0].nextState: intent "yes": nextState "nowhere" is not a defined state (defined states: start, done)',
    ]);
  });

  it("does not accept Object.prototype members as state names", () => {
    const flow = minimalFlow();
    flow.intents[0].nextState = "toString";
    expect(issuesOf(flow).join("\n")).toContain('nextState "toString" is not a defined state');
  });

  it("requires initialState to exist", () => {
    const flow = minimalFlow();
    flow.initialState = "begin";
    expect(issuesOf(flow).join("\n")).toContain('initialState "begin" is not a defined state');
  });

  it("rejects duplicate intent names", () => {
    const flow = minimalFlow();
    flow.intents[1].name = "yes";
    flow.intents[1].dtmf = ["3"];
    expect(issuesOf(flow).join("\n")).toContain('intent name "yes" is used more than once');
  });

  it("rejects a keypad key mapped to two intents in one state", () => {
    const flow = minimalFlow();
    flow.intents[1].dtmf = ["1"];
    const issues = issuesOf(flow);
    expect(issues.join("\n")).toContain('state "start": keypad key "1" is mapped to both "yes" and "no"');
    expect(issues[0]).toMatch(/^intents\[1\]\.dtmf\[0\]: /);
  });

  it("rejects unknown intents in a state's allow-list and unknown states in an intent", () => {
    const flow = minimalFlow();
    flow.states.start.intents = ["yes", "maybe"];
    flow.intents[1].states = ["start", "limbo"];
    const text = issuesOf(flow).join("\n");
    expect(text).toContain('state "start" allows unknown intent "maybe"');
    expect(text).toContain('states lists "limbo"');
  });

  it("rejects a state's unknown next and an impossible digit range", () => {
    const flow = minimalFlow();
    flow.states.start = { next: "later", collect: { slot: "pin", digits: { min: 6, max: 4 } } };
    const text = issuesOf(flow).join("\n");
    expect(text).toContain('next "later" is not a defined state');
    expect(text).toContain("collect.digits.min (6) exceeds max (4)");
  });

  it("rejects patterns that are not valid regular expressions", () => {
    const flow = minimalFlow();
    flow.intents[0].slots = [{ name: "order", type: "regex", pattern: "([a-z" }];
    expect(issuesOf(flow).join("\n")).toContain('slot "order": pattern is not a valid regular expression');
  });

  it("requires values for enum slots and a pattern for regex slots", () => {
    const flow = minimalFlow();
    flow.intents[0].slots = [
      { name: "kind", type: "enum" },
      { name: "code", type: "regex" },
    ];
    const text = issuesOf(flow).join("\n");
    expect(text).toContain('slot "kind": enum slots need "values"');
    expect(text).toContain('slot "code": regex slots need "pattern"');
  });

  it("rejects replies that use slots the intent does not declare", () => {
    const flow = minimalFlow();
    flow.intents[0].reply = "Paying {{slots.amount}}.";
    expect(issuesOf(flow).join("\n")).toContain("reply uses {{slots.amount}} but the intent declares no such slot");
  });

  it("rejects an unknown escalation intent", () => {
    const flow = minimalFlow();
    flow.fallback.escalateIntent = "human_agent";
    expect(issuesOf(flow).join("\n")).toContain('fallback.escalateIntent "human_agent" is not a defined intent');
  });

  it("reserves the engine's own intent names", () => {
    const flow = minimalFlow();
    flow.intents[1].name = "fallback";
    expect(issuesOf(flow).join("\n")).toContain('intent name "fallback" is reserved');
  });

  it("rejects an intent that nothing can trigger", () => {
    const flow = minimalFlow();
    flow.intents.push({ name: "ghost", reply: "Boo." });
    expect(issuesOf(flow).join("\n")).toContain('intent "ghost" can never match');
  });

  it("rejects misspelled keys instead of ignoring them", () => {
    const flow = minimalFlow();
    flow.intents[0].nextstate = "done";
    expect(issuesOf(flow).join("\n")).toMatch(/intents\[0\]: Unrecognized key.*nextstate/);
  });

  it("reports shape errors with their path", () => {
    const flow = minimalFlow();
    flow.intents[0].dtmf = ["1a"];
    delete flow.fallback.reply;
    const issues = issuesOf(flow);
    expect(issues).toContain("intents[0].dtmf[0]: keypad keys use only 0-9, * and #");
    expect(issues.some((i) => i.startsWith("fallback.reply: "))).toBe(true);
  });

  it("reports every broken reference at once, and names the flow in the message", () => {
    const flow = minimalFlow();
    flow.initialState = "begin";
    flow.intents[0].nextState = "nowhere";
    flow.intents[1].dtmf = ["1"];
    try {
      parseFlow(flow);
      expect.unreachable();
    } catch (err) {
      const e = err as FlowError;
      // The key conflict exists in both states, so it is reported for each.
      expect(e.issues).toHaveLength(4);
      expect(e.issues.filter((i) => i.includes('keypad key "1"'))).toHaveLength(2);
      expect(e.flowId).toBe("mini");
      expect(e.message).toMatch(/^Invalid flow "mini":\n {2}- /);
    }
  });

  it("rejects input that is not a flow object at all", () => {
    expect(issuesOf(null)).toHaveLength(1);
    expect(issuesOf("contact-center")[0]).toMatch(/^\(flow\): /);
  });
});
