import { describe, expect, it } from "vitest";
import type { FlowIntent } from "./flow-schema";
import { IntentClassifier } from "./match";

const intent = (name: string, examples: string[], keywords: string[] = []): FlowIntent => ({
  name,
  examples,
  keywords,
  reply: "ok",
});

const classifier = new IntentClassifier([
  intent("balance", ["check my balance", "what is my balance"], ["balance"]),
  intent("billing", ["question about my bill", "I was charged twice"], ["bill", "charge", "account"]),
  intent("agent", ["talk to an agent"], ["agent", "human agent", "account"]),
  intent("greeting", ["hello", "hi there"], ["hello", "hi"]),
]);

const scoreOf = (text: string, name: string): number =>
  classifier.classify(text).ranking.find((r) => r.intent === name)?.score ?? Number.NaN;

describe("IntentClassifier scoring", () => {
  it("reports no intent when nothing in the utterance is known", () => {
    expect(classifier.classify("zzz qqq")).toMatchObject({ intent: undefined, confidence: 0 });
  });

  it("gives full confidence when one intent has all the evidence", () => {
    const c = classifier.classify("check my balance");
    expect(c.intent).toBe("balance");
    expect(c.confidence).toBe(1);
  });

  it("discounts confidence by how close the runner-up comes", () => {
    const c = classifier.classify("hi there, a question about my bill");
    expect(c.intent).toBe("billing");
    const [best, second] = c.ranking;
    expect(second?.intent).toBe("greeting");
    expect(c.confidence).toBeCloseTo(best!.score * (1 - 0.5 * (second!.score / best!.score)), 3);
    expect(c.confidence).toBeLessThan(best!.score);
  });

  it("weighs a keyword phrase above a single keyword", () => {
    const single = classifier.classify("agent").ranking[0]!;
    const phrase = classifier.classify("human agent").ranking[0]!;
    expect(single.keywordScore).toBe(0.5); // one word: 1 − ½¹
    expect(phrase.keywordScore).toBe(0.875); // "agent" (1) + "human agent" (2): 1 − ½³
  });

  it("splits a keyword's weight between the intents that share it", () => {
    const shared = classifier.classify("account").ranking;
    expect(shared.find((r) => r.intent === "billing")?.keywordScore).toBeCloseTo(1 - 0.5 ** 0.5, 4);
    expect(shared.find((r) => r.intent === "agent")?.keywordScore).toBeCloseTo(1 - 0.5 ** 0.5, 4);
  });

  it("matches inflected forms through stemming", () => {
    expect(scoreOf("they keep charging me", "billing")).toBeGreaterThan(0.4);
  });

  it("lets unknown words dilute example similarity", () => {
    const focused = classifier.classify("what is my balance").ranking[0]!.similarity;
    const rambling = classifier.classify("what is my balance after the holiday weekend trip").ranking[0]!.similarity;
    expect(rambling).toBeLessThan(focused);
  });

  it("scores only the allowed intents", () => {
    const c = classifier.classify("check my balance", new Set(["agent", "greeting"]));
    expect(c.ranking.map((r) => r.intent).sort()).toEqual(["agent", "greeting"]);
    expect(c.intent).toBeUndefined();
  });

  it("breaks ties by flow order", () => {
    const tie = new IntentClassifier([intent("first", [], ["same"]), intent("second", [], ["same"])]);
    expect(tie.classify("same").intent).toBe("first");
  });
});
