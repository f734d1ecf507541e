import { describe, expect, it } from "vitest";
import { FlowIntentEngine } from "./flow-engine";
import { DEFAULT_FLOW_ID, getFlow, listFlows } from "./flows";

describe("built-in flow registry", () => {
  it("lists the default flow first, then the others", () => {
    expect(DEFAULT_FLOW_ID).toBe("contact-center");
    expect(listFlows()).toEqual(["contact-center", "payments"]);
  });

  it("returns validated flows by id and undefined for unknown ids", () => {
    expect(getFlow("payments")?.initialState).toBe("start");
    expect(getFlow("nope")).toBeUndefined();
    expect(getFlow("__proto__")).toBeUndefined();
  });

  it("shares flows between calls, so they are frozen against accidental mutation", () => {
    const flow = getFlow(DEFAULT_FLOW_ID)!;
    expect(() => {
      (flow.intents[0] as { reply: string }).reply = "hacked";
    }).toThrow(TypeError);
    expect(Object.isFrozen(flow.states)).toBe(true);
  });

  it("every built-in flow greets and answers a first turn", async () => {
    for (const id of listFlows()) {
      const engine = new FlowIntentEngine(getFlow(id)!);
      const greeting = engine.greeting({ state: "", context: {} });
      expect(greeting.reply.length).toBeGreaterThan(0);
      const r = await engine.classify({ text: "agent", source: "speech" }, { state: greeting.nextState, context: {} });
      expect(r.intent.name).toBe("human_agent");
    }
  });
});
