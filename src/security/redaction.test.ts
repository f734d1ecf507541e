import { describe, expect, it } from "vitest";
import { ConfigError, getConfig } from "../config/config";
import { redactPatternsVar } from "../config/redact-patterns";
import { getFlow } from "../nlp/flows";
import { coversCounts, redact, redactTurn, redactWords, type RedactOptions } from "./redaction";
import { isPaymentStep, luhnValid } from "./card-spans";

const card = (last4: string) => `[redacted card ending ${last4}]`;
const CODE = "[redacted code]";

/** [what, input, expected output, options?] */
type Row = [string, string, string, RedactOptions?];

const cards: Row[] = [
  ["Visa keyed without spaces", "4111111111111111", card("1111")],
  ["Visa keyed in groups of four", "4111 1111 1111 1111", card("1111")],
  ["Visa keyed with dashes", "4111-1111-1111-1111", card("1111")],
  ["Visa keyed with dots", "4111.1111.1111.1111", card("1111")],
  [
    "Visa, another test number, in a sentence",
    "my card is 4012888888881881 thanks",
    `my card is ${card("1881")} thanks`,
  ],
  ["Mastercard in groups", "5555 5555 5555 4444", card("4444")],
  ["Mastercard 2-series with dashes", "2223-0031-2200-3222", card("3222")],
  ["Amex 4-6-5", "3782 822463 10005", card("0005")],
  ["Discover", "6011 1111 1111 1117", card("1117")],
  ["Diners 14 digits 4-6-4", "3056 930902 5904", card("5904")],
  ["13-digit Visa", "4222222222222", card("2222")],
  ["19-digit card", "6011 0000 0000 0000 001", card("0001")],
  ["spoken digit by digit", "four one one one one one one one one one one one one one one one", card("1111")],
  ["spoken in groups with commas", "four one one one, one one one one, one one one one, one one one one", card("1111")],
  [
    "spoken with double and triple",
    "Four triple one, double one double one, double one double one, double one double one.",
    `${card("1111")}.`,
  ],
  ["spoken with oh for zero", "five one oh five one oh five one oh five one oh five one oh oh", card("5100")],
  [
    "spoken with zero and 'and' between groups",
    "four zero one two and eight eight eight eight and eight eight eight eight and one eight eight one",
    card("1881"),
  ],
  ["spoken in pairs", "forty one eleven, eleven eleven, eleven eleven, eleven eleven", card("1111")],
  ["keyed group then spoken digits", "4111 one one one one one one one one one one one one", card("1111")],
  ["capitalised spoken digits", "Four One One One One One One One One One One One One One One One", card("1111")],
  [
    "card and expiry in one sentence (keyed)",
    "my card number is 4242 4242 4242 4242 and it expires 12/27",
    `my card number is ${card("4242")} and it expires 12/27`,
  ],
  [
    "Amex and expiry in one sentence (spoken)",
    "my card number is three seven eight two eight two two four six " +
      "three one oh oh oh five and it expires oh nine twenty seven",
    `my card number is ${card("0005")} and it expires oh nine twenty seven`,
  ],
  [
    "two cards in one text",
    "use 4111111111111111 or else 5555-5555-5555-4444 please",
    `use ${card("1111")} or else ${card("4444")} please`,
  ],
  ["a card followed by more digits (the expiry stays)", "4111 1111 1111 1111 0925", `${card("1111")} 0925`],
];

const untouched: Row[] = [
  ["a 16-digit run that fails Luhn, grouped", "reference 1234 5678 9012 3456", "reference 1234 5678 9012 3456"],
  ["a 16-digit run that fails Luhn, one token", "order 4111111111111112 shipped", "order 4111111111111112 shipped"],
  ["a 20-digit order number", "order 99887766554433221100", "order 99887766554433221100"],
  ["a US phone number", "call me at +1 (415) 555-0100", "call me at +1 (415) 555-0100"],
  ["a UK phone number", "my number is 020 7946 0958", "my number is 020 7946 0958"],
  ["a spoken phone number", "four one five five five five oh one oh oh", "four one five five five five oh one oh oh"],
  ["digits outside a payment context", "three two one", "three two one"],
  ["a 3-digit number outside a payment context", "I have 123 apples", "I have 123 apples"],
  ["an interjection", "Oh, one more thing", "Oh, one more thing"],
  ["an amount in a payment step", "pay $100 now", "pay $100 now", { payment: true }],
  ["a decimal amount in a payment step", "pay 25.50", "pay 25.50", { payment: true }],
  ["an amount in words in a payment step", "pay 120 dollars", "pay 120 dollars", { payment: true }],
];

const codes: Row[] = [
  ["CVV keyed after 'cvv'", "the cvv is 123", `the cvv is ${CODE}`],
  ["CVC spoken after 'security code'", "my security code is three two one", `my security code is ${CODE}`],
  ["a recognizer's 'c v v'", "c v v four four one two", `c v v ${CODE}`],
  ["'three digits on the back'", "the three digits on the back are 7 3 7", `the three digits on the back are ${CODE}`],
  ["card and CVV together", "card 4111 1111 1111 1111 cvv 123", `card ${card("1111")} cvv ${CODE}`],
  ["a code answered in a payment step", "three two one", CODE, { payment: true }],
  ["a 4-digit Amex code in a payment step", "it's 1234", `it's ${CODE}`, { payment: true }],
];

const NI = { name: "ni_number", regex: /[A-CEGHJ-PR-TW-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]/gi };
const EMAIL = { name: "email", regex: /[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}/gi };
const patterns: Row[] = [
  [
    "a UK National Insurance number",
    "my NI number is AB 12 34 56 C.",
    "my NI number is [redacted ni_number].",
    { patterns: [NI] },
  ],
  [
    "two emails",
    "write to Jane.Doe@example.com or ops@example.org",
    "write to [redacted email] or [redacted email]",
    { patterns: [EMAIL] },
  ],
];

describe("redact", () => {
  it.each([...cards, ...untouched, ...codes, ...patterns])("%s", (_what, input, expected, options) => {
    expect(redact(input, options).text).toBe(expected);
  });

  it("has a table of at least 25 card, non-card, code and pattern rows", () => {
    expect(cards.length + untouched.length + codes.length + patterns.length).toBeGreaterThanOrEqual(25);
  });

  it("reports kinds and counts, never the values", () => {
    const out = redact("4111111111111111 and 5555555555554444, cvv 123, a@b.co", { patterns: [EMAIL] });
    expect(out.counts).toEqual({ card: 2, code: 1, email: 1 });
    expect(out.redacted).toBe(true);
    expect(JSON.stringify(out.counts)).not.toMatch(/\d{3,}/);
    expect(redact("hello").counts).toEqual({});
    expect(redact("hello").redacted).toBe(false);
  });

  it("masks a configured pattern that overlaps a card once, as the card", () => {
    const out = redact("4111 1111 1111 1111", { patterns: [{ name: "digits4", regex: /\d{4}/gi }] });
    expect(out).toMatchObject({ text: card("1111"), counts: { card: 1 } });
  });

  it("runs patterns on texts longer than the cap piece by piece, so nothing past the cap leaks", () => {
    const text = `${"word ".repeat(300)}mail me at someone@example.com ${"word ".repeat(300)}`;
    const out = redact(text, { patterns: [EMAIL], maxPatternChars: 200 });
    expect(out.text).not.toContain("someone@example.com");
    expect(out.counts).toEqual({ email: 1 });
  });

  it("ignores configured patterns that match empty text at some positions", () => {
    expect(redact("abc", { patterns: [{ name: "edge", regex: /\b/gi }] }).text).toBe("abc");
  });

  it("checks Luhn", () => {
    expect(luhnValid("4111111111111111")).toBe(true);
    expect(luhnValid("4111111111111112")).toBe(false);
    expect(luhnValid("")).toBe(false);
  });
});

describe("redactTurn", () => {
  it("masks slot values and replies taken from a redacted text", () => {
    const turn = redactTurn("my cvv is one two three and card 4111111111111111", {});
    expect(turn.text).toBe(`my cvv is ${CODE} and card ${card("1111")}`);
    expect(
      turn.derivedValues({ code: "123", account: "4111111111111111", amount: "25.00", misses: 0 as unknown as string }),
    ).toEqual({
      code: CODE,
      account: card("1111"),
      amount: "25.00",
      misses: 0,
    });
    expect(turn.derived("You said 123, right?")).toBe(`You said ${CODE}, right?`);
  });

  it("leaves values alone when nothing was masked", () => {
    const turn = redactTurn("I want to pay fifty dollars", { payment: false });
    expect(turn.derivedValues({ amount: "50.00" })).toEqual({ amount: "50.00" });
    expect(turn.redacted).toBe(false);
  });
});

describe("redactWords", () => {
  const spoken = "my card is four one one one one one one one one one one one one one one one thanks".split(" ");
  const words = spoken.map((word, i) => ({
    word,
    startMs: i * 100,
    endMs: i * 100 + 80,
    confidence: i === 5 ? 0.6 : 0.9,
  }));

  it("merges the words of a masked span into one entry carrying the mask", () => {
    const out = redactWords(words);
    expect(out.counts).toEqual({ card: 1 });
    expect(out.words.map((w) => w.word)).toEqual(["my", "card", "is", card("1111"), "thanks"]);
    expect(out.words[3]).toMatchObject({ startMs: 300, endMs: 1880, confidence: 0.6 });
  });

  it("tells whether one redaction covers another", () => {
    expect(coversCounts({ card: 1 }, { card: 1 })).toBe(true);
    expect(coversCounts({ card: 1 }, { card: 1, code: 1 })).toBe(false);
    expect(coversCounts({}, {})).toBe(true);
  });
});

describe("isPaymentStep", () => {
  it("knows the payments flow's card steps, and finds security-code prompts and names", () => {
    const flow = getFlow("payments");
    expect(flow).toBeDefined();
    expect(isPaymentStep("card_number", flow?.states.card_number)).toBe(true);
    expect(isPaymentStep("expiry", flow?.states.expiry)).toBe(true);
    expect(isPaymentStep("start", flow?.states.start)).toBe(false);
    expect(isPaymentStep("confirm", flow?.states.confirm)).toBe(false);
    expect(isPaymentStep("verify", { prompt: "Please say the three digits on the back of your card." })).toBe(true);
    expect(isPaymentStep("cvv", {})).toBe(true);
    expect(isPaymentStep("step2", { collect: { slot: "securityCode" } })).toBe(true);
    expect(isPaymentStep("menu", undefined)).toBe(false);
  });
});

describe("REDACT_PATTERNS", () => {
  const configWith = (value: string) => getConfig({ REDACT_PATTERNS: value } as unknown as Env);

  it("is empty when unset or blank", () => {
    expect(getConfig({} as Env).REDACT_PATTERNS).toEqual([]);
    expect(configWith("  ").REDACT_PATTERNS).toEqual([]);
  });

  it("compiles valid patterns with the flags gi", () => {
    const [p] = configWith(
      JSON.stringify([{ name: "email", pattern: "[a-z0-9._%+-]+@[a-z0-9.-]+\\.[a-z]{2,}" }]),
    ).REDACT_PATTERNS;
    expect(p?.name).toBe("email");
    expect(p?.regex.flags).toBe("gi");
    expect(redact("Mail ME@Example.COM", { patterns: [p!] }).text).toBe("Mail [redacted email]");
  });

  it.each([
    ["not JSON", "[{name:", /REDACT_PATTERNS: must be valid JSON/],
    ["not an array", JSON.stringify({ name: "x", pattern: "x" }), /REDACT_PATTERNS/],
    [
      "a pattern that does not compile",
      JSON.stringify([{ name: "broken", pattern: "([a-z]" }]),
      /REDACT_PATTERNS\.0\.pattern: must be a valid regular expression/,
    ],
    [
      "a pattern that matches empty text",
      JSON.stringify([{ name: "any", pattern: "a*" }]),
      /REDACT_PATTERNS\.0\.pattern: must not match empty text/,
    ],
    [
      "a pattern over the length cap",
      JSON.stringify([{ name: "long", pattern: "a".repeat(201) }]),
      /REDACT_PATTERNS\.0\.pattern: must be at most 200/,
    ],
    [
      "a built-in name",
      JSON.stringify([{ name: "card", pattern: "x" }]),
      /REDACT_PATTERNS\.0\.name: card, code and keypad are built-in/,
    ],
    ["a name with spaces", JSON.stringify([{ name: "my pattern", pattern: "x" }]), /REDACT_PATTERNS\.0\.name/],
    ["flags smuggled in as a field", JSON.stringify([{ name: "x", pattern: "x", flags: "m" }]), /REDACT_PATTERNS\.0/],
    [
      "too many patterns",
      JSON.stringify(Array.from({ length: 21 }, (_, i) => ({ name: `p${i}`, pattern: "x" }))),
      /REDACT_PATTERNS/,
    ],
  ])("refuses %s with the setting's name", (_what, value, message) => {
    expect(() => configWith(value)).toThrow(ConfigError);
    expect(() => configWith(value)).toThrow(message);
  });

  it("is the same schema the config uses", () => {
    expect(redactPatternsVar.safeParse("[]").success).toBe(true);
  });
});
