import { describe, expect, it } from "vitest";
import { FlowIntentEngine } from "./flow-engine";
import { getFlow } from "./flows";

const flow = getFlow("contact-center")!;
const engine = new FlowIntentEngine(flow);
const start = { state: "start", context: {} };
const say = (text: string) => engine.classify({ text, source: "speech" }, start);

/** Realistic caller utterances (as a speech recogniser would transcribe them) → expected intent. */
const UTTERANCES: ReadonlyArray<readonly [string, string]> = [
  ["I would like to check my account balance please", "check_balance"],
  ["what's my balance", "check_balance"],
  ["how much do I owe you guys", "check_balance"],
  ["can you tell me how much money I have", "check_balance"],
  ["balance", "check_balance"],
  ["I'd like to check my balance for account one two three four", "check_balance"],
  ["hi there I have a question about my bill", "billing"],
  ["there's a charge on my statement I don't recognize", "billing"],
  ["I think I was overcharged", "billing"],
  ["I need a refund for last month", "billing"],
  ["why is my bill so expensive this month", "billing"],
  ["I want to pay my bill", "billing"],
  ["I was charged twenty five dollars twice", "billing"],
  ["my internet is not working", "technical_support"],
  ["my wifi isn't working", "technical_support"],
  ["the internet keeps going down", "technical_support"],
  ["I forgot my password and need to reset it", "technical_support"],
  ["my modem is blinking red", "technical_support"],
  ["I'm getting an error when I log in", "technical_support"],
  ["my TV has no picture", "technical_support"],
  ["I want to speak to a human agent", "human_agent"],
  ["representative", "human_agent"],
  ["operator please", "human_agent"],
  ["can I talk to a real person", "human_agent"],
  ["customer service", "human_agent"],
  ["Agent!", "human_agent"],
  ["bye thanks", "goodbye"],
  ["no that's all, thank you", "goodbye"],
  ["goodbye", "goodbye"],
  ["have a nice day", "goodbye"],
  ["hello", "greeting"],
  ["good morning", "greeting"],
  ["what are my options", "main_menu"],
  ["can you repeat that", "main_menu"],
];

describe("classification of realistic utterances in the main menu", () => {
  it.each(UTTERANCES)("%s → %s", async (text, expected) => {
    const r = await say(text);
    expect(r.intent.name).toBe(expected);
    expect(r.intent.confidence).toBeGreaterThanOrEqual(engine.threshold);
    expect(r.intent.confidence).toBeLessThanOrEqual(1);
  });

  it("covers every intent in the flow", () => {
    expect(new Set(UTTERANCES.map(([, intent]) => intent))).toEqual(new Set(flow.intents.map((i) => i.name)));
  });
});

describe("off-topic input falls back", () => {
  it.each(["asdfgh", "purple monkey dishwasher", "what time is it", "the weather is nice today", "um", ""])(
    "%j → fallback",
    async (text) => {
      const r = await say(text);
      expect(r.intent.name).toBe("fallback");
      expect(r.intent.confidence).toBeLessThan(engine.threshold);
      expect(r.reply).toMatch(/^Sorry, I didn't catch that\./);
    },
  );
});

describe("confidence", () => {
  it("is lower when a second intent also fits", async () => {
    const clear = await say("I have a question about my bill");
    const mixed = await say("hi there I have a question about my bill");
    expect(mixed.intent.name).toBe("billing");
    expect(mixed.intent.confidence).toBeLessThan(clear.intent.confidence);
  });

  it("is deterministic", async () => {
    const a = await say("my internet keeps dropping");
    const b = await say("my internet keeps dropping");
    expect(b).toEqual(a);
  });

  it("threshold is configurable: a stricter engine falls back on weak evidence", async () => {
    const text = "my modem is blinking red";
    const weak = await say(text);
    expect(weak.intent.name).toBe("technical_support");
    const strict = new FlowIntentEngine(flow, { threshold: Math.min(1, weak.intent.confidence + 0.01) });
    expect((await strict.classify({ text, source: "speech" }, start)).intent.name).toBe("fallback");
  });

  it("rejects thresholds outside [0, 1]", () => {
    expect(() => new FlowIntentEngine(flow, { threshold: 1.5 })).toThrow(RangeError);
    expect(() => new FlowIntentEngine(flow, { threshold: Number.NaN })).toThrow(RangeError);
  });
});

describe("typo repair applies to typed text only", () => {
  it("corrects a one-letter slip in chat", async () => {
    const r = await engine.classify({ text: "whats my ballance", source: "text" }, start);
    expect(r.intent.name).toBe("check_balance");
  });

  it("does not guess for speech, where words are real words", async () => {
    const r = await engine.classify({ text: "whats my ballance", source: "speech" }, start);
    expect(r.intent.name).toBe("fallback");
  });
});
