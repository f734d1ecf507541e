import { describe, expect, it } from "vitest";
import { FlowIntentEngine } from "./flow-engine";
import { getFlow } from "./flows";
import type { ConversationState, IntentInput, IntentResult } from "./types";

const NOW = new Date("2026-03-10T15:00:00Z"); // a Tuesday
const engine = new FlowIntentEngine(getFlow("payments")!, { now: () => NOW });
const CARD = "4111111111111111";

/** Plays turns the way a call session does: merge contextUpdates, move to nextState. */
async function play(turns: ReadonlyArray<IntentInput>, state: ConversationState): Promise<IntentResult[]> {
  const results: IntentResult[] = [];
  for (const input of turns) {
    const r = await engine.classify(input, state);
    results.push(r);
    state = { state: r.nextState, context: { ...state.context, ...r.contextUpdates } };
  }
  return results;
}
const say = (text: string): IntentInput => ({ text, source: "speech" });
const press = (text: string): IntentInput => ({ text, source: "dtmf" });
const at = (state: string, context: Record<string, unknown> = {}): ConversationState => ({ state, context });

describe("a call can run the payments flow instead of the default", () => {
  it("has its own name and greeting", () => {
    expect(engine.name).toBe("flow:payments");
    const g = engine.greeting({ state: "start", context: { amountDue: "$80.00" } });
    expect(g).toEqual({
      nextState: "start",
      reply: expect.stringMatching(/^Welcome to the Acme Communications payments line\. Your amount due is \$80\.00\./),
    });
  });

  it("takes a card payment end to end without the card digits ever leaving the engine", async () => {
    const [pay, card, expiry, confirm] = await play(
      [say("I want to pay fifty dollars"), press(`${CARD}#`), press("0128"), say("yes go ahead")],
      at("start"),
    );
    expect(pay).toMatchObject({
      intent: { name: "make_payment", slots: { amount: "50.00" } },
      nextState: "card_number",
      secure: false,
    });
    expect(pay?.reply).toBe(
      "Okay, let's take your payment. Please enter your card number on your keypad, followed by the pound key.",
    );

    expect(card).toMatchObject({ intent: { name: "collect", confidence: 1 }, nextState: "expiry", secure: true });
    expect(card?.intent.slots).toEqual({ cardNumber: "************1111" });
    expect(card?.contextUpdates).toEqual({ cardNumber: "************1111" });
    expect(card?.reply).toBe("Thank you. Now enter the expiration date as four digits, month then year.");

    expect(expiry).toMatchObject({ nextState: "confirm", secure: true, contextUpdates: { cardExpiry: "****" } });
    expect(expiry?.reply).toContain("Shall I submit a payment of 50.00 with this card?");

    expect(confirm).toMatchObject({
      intent: { name: "confirm_payment" },
      nextState: "done",
      endCall: true,
      secure: false,
    });

    const everything = JSON.stringify([pay, card, expiry, confirm]);
    expect(everything).not.toContain(CARD);
    expect(everything).not.toContain("0128");
  });

  it("accepts card digits read aloud, still masked and flagged secure", async () => {
    const r = await engine.classify(
      say("four one one one one one one one one one one one one one one one"),
      at("card_number"),
    );
    expect(r).toMatchObject({ intent: { name: "collect", slots: { cardNumber: "************1111" } }, secure: true });
  });
});

describe("secure collection rejects bad entries without echoing them", () => {
  it("re-asks for a card number that is too short", async () => {
    const r = await engine.classify(press("1234#"), at("card_number"));
    expect(r).toMatchObject({ intent: { name: "fallback", slots: {} }, nextState: "card_number", secure: true });
    expect(r.reply).toBe(
      "Sorry, that card number doesn't look right. Please enter your " +
        "card number on your keypad, followed by the pound key.",
    );
    expect(r.contextUpdates).toEqual({ fallbackMisses: 1 });
    expect(JSON.stringify(r)).not.toContain("1234");
  });

  it("applies the collect pattern (month 13 is not an expiry date)", async () => {
    const r = await engine.classify(press("1328"), at("expiry"));
    expect(r.intent.name).toBe("fallback");
    expect(r.reply).toMatch(/^Sorry, that expiration date doesn't look right\./);
  });

  it("rejects keypad entries with non-digit keys", async () => {
    expect((await engine.classify(press("41*1"), at("card_number"))).intent.name).toBe("fallback");
  });

  it("escalates to an agent after three bad entries", async () => {
    const results = await play([press("1#"), press("12#"), press("123#")], at("card_number"));
    expect(results.map((r) => r.intent.name)).toEqual(["fallback", "fallback", "human_agent"]);
    expect(results[2]?.nextState).toBe("transfer");
  });

  it("lets the caller cancel or ask for an agent in the middle of a secure step", async () => {
    const cancel = await engine.classify(press("*"), at("card_number"));
    expect(cancel).toMatchObject({ intent: { name: "cancel" }, nextState: "start", secure: true });
    const agent = await engine.classify(say("I want to talk to a person"), at("expiry"));
    expect(agent).toMatchObject({ intent: { name: "human_agent" }, nextState: "transfer", secure: true });
  });

  it("does not run intents the secure step does not allow", async () => {
    const r = await engine.classify(say("pay my bill"), at("card_number"));
    expect(r.intent.name).toBe("fallback");
  });
});

describe("scheduling uses the date slot", () => {
  it("schedules for the next friday", async () => {
    const r = await engine.classify(say("schedule a payment for friday"), at("start"));
    expect(r.intent).toMatchObject({ name: "schedule_payment", slots: { payDate: "2026-03-13" } });
    expect(r.reply).toBe("Okay, your payment is scheduled for 2026-03-13. Is there anything else?");
    expect(r.nextState).toBe("start");
  });

  it("falls back to the template default when no date is given", async () => {
    const r = await engine.classify(say("can I schedule a payment"), at("start"));
    expect(r.reply).toContain("scheduled for your next due date.");
  });
});
