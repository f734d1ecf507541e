import { describe, expect, it } from "vitest";
import { FlowIntentEngine } from "./flow-engine";
import { getFlow } from "./flows";
import type { IntentInput } from "./types";

const engine = new FlowIntentEngine(getFlow("contact-center")!);
const start = { state: "start", context: {} };
const press = (text: string): IntentInput => ({ text, source: "dtmf" });

describe("keypad menu in the contact-center flow", () => {
  it.each([
    ["1", "check_balance", "start"],
    ["2", "billing", "start"],
    ["3", "technical_support", "start"],
    ["0", "human_agent", "transfer"],
    ["*", "main_menu", "start"],
    ["9", "main_menu", "start"],
  ])("key %s selects %s", async (key, intent, nextState) => {
    const r = await engine.classify(press(key), start);
    expect(r.intent).toEqual({ name: intent, confidence: 1, slots: {} });
    expect(r.nextState).toBe(nextState);
  });

  it("ignores the # terminator and whitespace around a key", async () => {
    expect((await engine.classify(press("1#"), start)).intent.name).toBe("check_balance");
    expect((await engine.classify(press(" 0 "), start)).intent.name).toBe("human_agent");
  });

  it("answers an unmapped key with the fallback and counts the miss", async () => {
    for (const key of ["5", "12", "#"]) {
      const r = await engine.classify(press(key), start);
      expect(r.intent).toEqual({ name: "fallback", confidence: 0, slots: {} });
      expect(r.contextUpdates).toEqual({ fallbackMisses: 1 });
      expect(r.nextState).toBe("start");
    }
  });

  it("maps a key the caller typed or said instead of pressing", async () => {
    expect((await engine.classify({ text: "0", source: "text" }, start)).intent.name).toBe("human_agent");
    const spoken = await engine.classify({ text: "press one", source: "speech" }, start);
    expect(spoken.intent).toEqual({ name: "check_balance", confidence: 0.9, slots: {} });
    expect((await engine.classify({ text: "zero", source: "speech" }, start)).intent.name).toBe("human_agent");
  });

  it("does not treat a sentence that contains a number as a key press", async () => {
    const r = await engine.classify({ text: "I was charged 2 times", source: "speech" }, start);
    expect(r.intent.name).toBe("billing");
  });
});

describe("keypad keys are scoped to the current state", () => {
  const payments = new FlowIntentEngine(getFlow("payments")!);

  it("the same key selects different intents in different states", async () => {
    expect((await payments.classify(press("1"), { state: "start", context: {} })).intent.name).toBe("make_payment");
    expect((await payments.classify(press("1"), { state: "confirm", context: {} })).intent.name).toBe(
      "confirm_payment",
    );
  });

  it("a key whose intent is not allowed in the state falls back", async () => {
    const r = await payments.classify(press("2"), { state: "confirm", context: {} });
    expect(r.intent.name).toBe("fallback");
  });
});
