import { describe, expect, it } from "vitest";
import { FlowIntentEngine } from "./flow-engine";
import { parseFlow } from "./flow-schema";
import { getFlow } from "./flows";
import type { ConversationState, IntentInput, IntentResult } from "./types";

/** Plays turns the way a call session does: merge contextUpdates, move to nextState. */
class Call {
  state: ConversationState;
  constructor(
    private readonly engine: FlowIntentEngine,
    context: Record<string, unknown> = {},
  ) {
    this.state = { state: engine.greeting({ state: "", context }).nextState, context };
  }
  async turn(text: string, source: IntentInput["source"] = "speech"): Promise<IntentResult> {
    const r = await this.engine.classify({ text, source }, this.state);
    this.state = { state: r.nextState, context: { ...this.state.context, ...r.contextUpdates } };
    return r;
  }
}

const contactCenter = new FlowIntentEngine(getFlow("contact-center")!);
const MENU = "You can say check my balance, billing, technical support, or talk to an agent.";

describe("greeting", () => {
  it("greets with the company from the context defaults and starts in the initial state", () => {
    const g = contactCenter.greeting({ state: "start", context: {} });
    expect(g.nextState).toBe("start");
    expect(g.reply).toMatch(/^Thanks for calling Acme Communications\. You can say check my balance/);
    expect(g.reply).toContain("press 1 for balance, 2 for billing, 3 for support, 0 for an agent.");
  });

  it("lets the session context override flow defaults", () => {
    const g = contactCenter.greeting({ state: "start", context: { company: "Globex" } });
    expect(g.reply).toMatch(/^Thanks for calling Globex\./);
  });

  it("reports its flow in the engine name", () => {
    expect(contactCenter.name).toBe("flow:contact-center");
  });
});

describe("replies use the session context", () => {
  it("reads the balance from context, with a default when the CRM has none", async () => {
    const known = await new Call(contactCenter, { balance: "$42.17" }).turn("what's my balance");
    expect(known.reply).toBe("Your balance is $42.17. Is there anything else I can help you with?");
    const unknown = await new Call(contactCenter).turn("what's my balance");
    expect(unknown.reply).toBe("Your balance is not available right now. Is there anything else I can help you with?");
  });
});

describe("state transitions", () => {
  it("balance, then billing, then goodbye ends the call", async () => {
    const call = new Call(contactCenter);
    expect((await call.turn("check my balance")).nextState).toBe("start");
    const billing = await call.turn("I have a question about a charge on my bill");
    expect(billing).toMatchObject({ nextState: "start", endCall: false });
    const bye = await call.turn("no that's all, bye");
    expect(bye).toMatchObject({ intent: { name: "goodbye" }, nextState: "end", endCall: true });
    expect(bye.reply).toBe("Thanks for calling Acme Communications. Goodbye!");
  });

  it("asking for a person transfers", async () => {
    const r = await new Call(contactCenter).turn("I want to speak to a human agent");
    expect(r).toMatchObject({ intent: { name: "human_agent" }, nextState: "transfer", endCall: false });
    expect(r.reply).toContain("transfer you");
  });

  it("a state name from another flow restarts this flow's initial state", async () => {
    const r = await contactCenter.classify(
      { text: "billing", source: "speech" },
      { state: "card_number", context: {} },
    );
    expect(r.intent.name).toBe("billing");
    expect(r.nextState).toBe("start");
    const proto = await contactCenter.classify({ text: "asdf", source: "speech" }, { state: "toString", context: {} });
    expect(proto.nextState).toBe("start");
  });
});

describe("fallback and escalation", () => {
  it("reprompts after the first miss and escalates to an agent on the second", async () => {
    const call = new Call(contactCenter);
    const first = await call.turn("asdfgh");
    expect(first).toMatchObject({
      intent: { name: "fallback" },
      nextState: "start",
      contextUpdates: { fallbackMisses: 1 },
    });
    expect(first.reply).toBe(
      `Sorry, I didn't catch that. ${MENU} Or press 1 for balance, 2 for billing, 3 for support, 0 for an agent.`,
    );

    const second = await call.turn("purple monkey dishwasher");
    expect(second.intent.name).toBe("human_agent");
    expect(second.intent.confidence).toBeLessThan(contactCenter.threshold); // escalated, not asked for
    expect(second.nextState).toBe("transfer");
    expect(second.contextUpdates).toEqual({ fallbackMisses: 0 });
  });

  it("a successful turn resets the miss counter, so misses must be consecutive", async () => {
    const call = new Call(contactCenter);
    await call.turn("asdfgh");
    const ok = await call.turn("check my balance");
    expect(ok.contextUpdates).toEqual({ fallbackMisses: 0 });
    const again = await call.turn("asdfgh");
    expect(again.intent.name).toBe("fallback");
    expect(again.contextUpdates).toEqual({ fallbackMisses: 1 });
  });

  it("counts keypad misses and spoken misses together", async () => {
    const call = new Call(contactCenter);
    await call.turn("7", "dtmf");
    expect((await call.turn("blah blah")).intent.name).toBe("human_agent");
  });

  it("ignores a corrupt miss counter in the context", async () => {
    const r = await contactCenter.classify(
      { text: "asdfgh", source: "speech" },
      { state: "start", context: { fallbackMisses: "lots" } },
    );
    expect(r.intent.name).toBe("fallback");
    expect(r.contextUpdates).toEqual({ fallbackMisses: 1 });
  });
});

describe("fallback policy is per flow", () => {
  const flow = parseFlow({
    id: "patient",
    name: "Patient",
    language: "en-US",
    initialState: "ask",
    greeting: "Say yes or no.",
    states: { ask: { prompt: "Please say yes or no." }, after: { prompt: "Noted." } },
    intents: [
      { name: "yes", examples: ["yes", "yes please"], keywords: ["yes"], reply: "Okay.", nextState: "after" },
      { name: "no", examples: ["no"], keywords: ["no"], reply: "Fine." },
    ],
    fallback: { reply: "Hmm?", repromptAfter: 2 },
  });
  const engine = new FlowIntentEngine(flow);

  it("repeats the prompt only from repromptAfter misses on, and never escalates without escalateIntent", async () => {
    const call = new Call(engine);
    expect((await call.turn("banana")).reply).toBe("Hmm?");
    expect((await call.turn("banana")).reply).toBe("Hmm? Please say yes or no.");
    const third = await call.turn("banana");
    expect(third).toMatchObject({
      intent: { name: "fallback" },
      contextUpdates: { fallbackMisses: 3 },
      nextState: "ask",
    });
  });

  it("appends the prompt of the state being entered, but not of the state it stays in", async () => {
    expect((await new Call(engine).turn("yes please")).reply).toBe("Okay. Noted.");
    expect((await new Call(engine).turn("no")).reply).toBe("Fine.");
  });
});
