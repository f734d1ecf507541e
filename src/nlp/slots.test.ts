import { describe, expect, it } from "vitest";
import { FlowIntentEngine } from "./flow-engine";
import type { FlowSlot } from "./flow-schema";
import { getFlow } from "./flows";
import { extractSlot } from "./slots";

// Tuesday 10 March 2026, 15:00 UTC: relative dates below are computed from this.
const NOW = new Date("2026-03-10T15:00:00Z");
const slot = (type: FlowSlot["type"], extra: Partial<FlowSlot> = {}): FlowSlot => ({ name: "s", type, ...extra });
const extract = (s: FlowSlot, text: string): string | undefined => extractSlot(s, text, NOW);

describe("money slots", () => {
  it.each([
    ["I was charged $25", "25.00"],
    ["a charge of $25.5 appeared", "25.50"],
    ["twenty five dollars", "25.00"],
    ["25 dollars and 50 cents", "25.50"],
    ["twenty five dollars and fifty cents", "25.50"],
    ["twenty five dollars fifty", "25.50"],
    ["fifty cents", "0.50"],
    ["about 1,200 bucks", "1200.00"],
    ["a hundred dollars", "100.00"],
  ])("%s → %s", (text, expected) => {
    expect(extract(slot("money"), text)).toBe(expected);
  });

  it("needs a currency marker, so account numbers are not read as amounts", () => {
    expect(extract(slot("money"), "account 25 was charged twice")).toBeUndefined();
  });
});

describe("number and digits slots", () => {
  it("number takes the first number, spoken or typed", () => {
    expect(extract(slot("number"), "I have two accounts")).toBe("2");
    expect(extract(slot("number"), "about 3.5 hours")).toBe("3.5");
  });

  it("digits joins spoken digit strings and strips separators", () => {
    expect(extract(slot("digits"), "account one two three four")).toBe("1234");
    expect(extract(slot("digits"), "call me at 555-0100")).toBe("5550100");
  });

  it("a pattern constrains the extracted value", () => {
    const account = slot("digits", { pattern: "\\d{4,12}" });
    expect(extract(account, "account one two three four")).toBe("1234");
    expect(extract(account, "account twelve")).toBeUndefined();
  });
});

describe("date slots", () => {
  it.each([
    ["today", "2026-03-10"],
    ["tomorrow please", "2026-03-11"],
    ["on friday", "2026-03-13"],
    ["next tuesday", "2026-03-17"],
    ["march twentieth", "2026-03-20"],
    ["january 5th", "2027-01-05"], // already past this year → next year
    ["the fifth of april twenty twenty six", "2026-04-05"],
    ["4/15/2026", "2026-04-15"],
    ["4/15/27", "2027-04-15"],
    ["2026-12-01", "2026-12-01"],
  ])("%s → %s", (text, expected) => {
    expect(extract(slot("date"), text)).toBe(expected);
  });

  it("rejects impossible dates and month names used as words", () => {
    expect(extract(slot("date"), "february thirtieth")).toBeUndefined();
    expect(extract(slot("date"), "may I pay by card")).toBeUndefined();
    expect(extract(slot("date"), "constructor 5th")).toBeUndefined();
  });
});

describe("enum and regex slots", () => {
  const accountType = slot("enum", { values: ["checking", "savings", "credit card"] });

  it("enum matches stemmed phrases and returns the canonical value", () => {
    expect(extract(accountType, "move it from my Savings account")).toBe("savings");
    expect(extract(accountType, "my credit cards")).toBe("credit card");
    expect(extract(accountType, "my brokerage account")).toBeUndefined();
  });

  it("regex returns the first capture group, or the whole match", () => {
    expect(extract(slot("regex", { pattern: "order ([a-z]{2}\\d{4})" }), "Order AB1234 is late")).toBe("AB1234");
    expect(extract(slot("regex", { pattern: "[a-z]{2}\\d{4}" }), "it's zz9876")).toBe("zz9876");
  });

  it("regex also matches spoken digits once they are normalised", () => {
    expect(extract(slot("regex", { pattern: "\\b\\d{6}\\b" }), "ticket one two three four five six")).toBe("123456");
  });
});

describe("slots through the engine", () => {
  const engine = new FlowIntentEngine(getFlow("contact-center")!, { now: () => NOW });
  const start = { state: "start", context: {} };

  it("fills a money slot and merges it into the context", async () => {
    const r = await engine.classify({ text: "I was overcharged by twenty five dollars", source: "speech" }, start);
    expect(r.intent).toMatchObject({ name: "billing", slots: { amount: "25.00" } });
    expect(r.contextUpdates).toEqual({ amount: "25.00" });
  });

  it("uses an enum slot in the reply, with the template default when absent", async () => {
    const wifi = await engine.classify({ text: "my wifi is not working", source: "speech" }, start);
    expect(wifi.reply).toContain("trouble with your wifi.");
    const vague = await engine.classify({ text: "something is broken", source: "speech" }, start);
    expect(vague.intent.name).toBe("technical_support");
    expect(vague.reply).toContain("trouble with your service.");
  });

  it("fills a digits slot from spoken digits", async () => {
    const r = await engine.classify(
      { text: "check the balance for account one two three four", source: "speech" },
      start,
    );
    expect(r.intent).toMatchObject({ name: "check_balance", slots: { accountNumber: "1234" } });
  });
});
