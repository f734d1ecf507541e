import { describe, expect, it } from "vitest";
import { splitSentences } from "./sentences";

/** Sentence boundaries only, no merging of short ones. */
const raw = (text: string): string[] => splitSentences(text, { minChars: 0 });
const squash = (s: string): string => s.replace(/\s+/g, " ").trim();

describe("splitSentences: where sentences end", () => {
  it("splits after . ! ? … and ..., keeping the punctuation", () => {
    expect(raw("Your balance is 42 dollars. Anything else? Great! Well… maybe. Hmm... okay")).toEqual([
      "Your balance is 42 dollars.",
      "Anything else?",
      "Great!",
      "Well…",
      "maybe.",
      "Hmm...",
      "okay",
    ]);
    expect(raw("Really?! Yes.")).toEqual(["Really?!", "Yes."]);
  });

  it("splits at line breaks even without punctuation", () => {
    expect(raw("Main menu\r\nSay balance\n\nor payments")).toEqual(["Main menu", "Say balance", "or payments"]);
  });

  it("keeps closing quotes and brackets with their sentence", () => {
    expect(raw('He said "stop." Then he left. (It was late.) The end.')).toEqual([
      'He said "stop."',
      "Then he left.",
      "(It was late.)",
      "The end.",
    ]);
  });

  it("does not split decimals, amounts, times or dotted names", () => {
    expect(
      raw(
        "The rate is 3.5 percent, or $1,234.56 a year. We open at 9.30 and close at 17:00. See example.com for more.",
      ),
    ).toEqual([
      "The rate is 3.5 percent, or $1,234.56 a year.",
      "We open at 9.30 and close at 17:00.",
      "See example.com for more.",
    ]);
  });

  it("does not split after titles, Latin abbreviations or initials", () => {
    expect(
      raw(
        "Dr. Smith and Mrs. Jones will call. Bring ID, e.g. a passport, " +
          "i.e. something official. J. R. R. Tolkien agrees.",
      ),
    ).toEqual([
      "Dr. Smith and Mrs. Jones will call.",
      "Bring ID, e.g. a passport, i.e. something official.",
      "J. R. R. Tolkien agrees.",
    ]);
    expect(raw("It is on St. Mark's road, vs. the old one.")).toEqual(["It is on St. Mark's road, vs. the old one."]);
  });

  it("ends a sentence on etc., p.m., No. ... only when a capitalised word follows", () => {
    expect(raw("Apples, pears, etc. are in stock. Apples, pears, etc. You name it.")).toEqual([
      "Apples, pears, etc. are in stock.",
      "Apples, pears, etc.",
      "You name it.",
    ]);
    expect(raw("Call at 5 p.m. tomorrow. Or at 6 p.m. Thanks.")).toEqual([
      "Call at 5 p.m. tomorrow.",
      "Or at 6 p.m.",
      "Thanks.",
    ]);
    expect(raw("Account No. 5 is closed. I said no. Then I left.")).toEqual([
      "Account No. 5 is closed.",
      "I said no.",
      "Then I left.",
    ]);
    expect(raw("Made in the U.S. and sold in the U.S. Now shipping.")).toEqual([
      "Made in the U.S. and sold in the U.S.",
      "Now shipping.",
    ]);
  });

  it("keeps list numbers with their item, but a number can end a sentence", () => {
    expect(raw("1. Check your balance\n2. Pay a bill")).toEqual(["1. Check your balance", "2. Pay a bill"]);
    expect(raw("Press 1. Then press 2.")).toEqual(["Press 1.", "Then press 2."]);
  });

  it("never returns empty strings", () => {
    expect(splitSentences("")).toEqual([]);
    expect(splitSentences("  \n\n \t ")).toEqual([]);
    expect(raw("... ! ? \n .")).toEqual(["...", "!", "?", "."]);
    expect(raw("Hello.\n\n\nBye.")).toEqual(["Hello.", "Bye."]);
  });
});

describe("splitSentences: chunks worth synthesising", () => {
  it("merges short fragments with the next sentence so the first chunk is not tiny", () => {
    expect(
      splitSentences(
        "Hi! OK. Your balance is 42 dollars and 10 cents. Is there anything else I can help you with today?",
      ),
    ).toEqual([
      "Hi! OK. Your balance is 42 dollars and 10 cents.",
      "Is there anything else I can help you with today?",
    ]);
  });

  it("joins a short last fragment to the one before", () => {
    expect(splitSentences("Your payment of 20 dollars is scheduled for Friday. Goodbye!")).toEqual([
      "Your payment of 20 dollars is scheduled for Friday. Goodbye!",
    ]);
    expect(splitSentences("Thanks.")).toEqual(["Thanks."]);
  });

  it("cuts a run-on sentence at clause breaks, else at spaces, within maxChars", () => {
    const clause = "we checked the account that you asked about";
    const runOn = Array.from({ length: 12 }, () => clause).join(", ") + ".";
    const chunks = splitSentences(runOn);
    expect(chunks.length).toBeGreaterThan(2);
    for (const c of chunks) expect(c.length).toBeLessThanOrEqual(250);
    for (const c of chunks.slice(0, -1)) expect(c.endsWith(",")).toBe(true);

    const noCommas = Array.from({ length: 80 }, (_, i) => `word${i}`).join(" ");
    const cut = splitSentences(noCommas, { maxChars: 100 });
    expect(cut.every((c) => c.length <= 100 && c.length >= 20)).toBe(true);
    expect(cut.join(" ")).toBe(noCommas);
    // One word longer than the limit stays whole.
    const url = `https://example.com/${"x".repeat(300)}`;
    expect(splitSentences(`Go to ${url} now`, { maxChars: 100 })).toEqual([`Go to ${url} now`]);
    expect(splitSentences(`Please go to this page: ${url}`, { maxChars: 100 })).toEqual([
      "Please go to this page:",
      url,
    ]);
  });

  it("keeps every character: chunks joined with spaces give the text back, up to whitespace", () => {
    const texts = [
      'Hi! OK. Your balance is 42 dollars.\n\nDr. Smith said: "Call at 5 p.m. ' +
        'tomorrow." Is that fine? Yes… I think so.  Thanks, etc. Bye',
      "1. Balance\n2. Payments\n3. Speak to an agent\nSay the number, or press it on your keypad.",
      Array.from({ length: 40 }, (_, i) => (i % 3 ? `Sentence number ${i} is here.` : `Short ${i}!`)).join(" "),
      "a ".repeat(400),
    ];
    for (const text of texts) {
      for (const options of [{}, { minChars: 0 }, { minChars: 40, maxChars: 80 }]) {
        const chunks = splitSentences(text, options);
        expect(chunks.every((c) => c.length > 0 && c === c.trim())).toBe(true);
        expect(squash(chunks.join(" "))).toBe(squash(text));
      }
    }
  });

  it("makes every chunk but the last at least minChars long when sentences allow it", () => {
    const text = Array.from({ length: 30 }, (_, i) => `No ${i}. Okay.`).join(" ");
    const chunks = splitSentences(text);
    for (const c of chunks.slice(0, -1)) expect(c.length).toBeGreaterThanOrEqual(20);
    expect(chunks[0]!.length).toBeLessThan(40);
  });
});
