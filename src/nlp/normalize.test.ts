import { describe, expect, it } from "vitest";
import { expandContractions, normalizeText, tokenize } from "./normalize";

describe("normalizeText", () => {
  it("lowercases and drops punctuation", () => {
    expect(normalizeText("Hello, World!! How are you?")).toBe("hello world how are you");
  });

  it("expands contractions the same way for straight and curly apostrophes", () => {
    expect(normalizeText("I'd like my balance")).toBe("i would like my balance");
    expect(normalizeText("I’m sure it isn’t working")).toBe("i am sure it is not working");
    expect(normalizeText("Can't log in, won't load")).toBe("can not log in will not load");
    expect(normalizeText("What's my balance? That's wrong")).toBe("what is my balance that is wrong");
  });

  it("drops possessive 's rather than reading it as 'is'", () => {
    expect(normalizeText("the customer's bill")).toBe("the customer bill");
  });

  it("expands informal spellings", () => {
    expect(normalizeText("I wanna talk to someone, I cannot wait")).toBe("i want to talk to someone i can not wait");
  });

  it("passes words that name Object.prototype members through unchanged", () => {
    expect(normalizeText("constructor toString valueOf")).toBe("constructor tostring valueof");
  });

  it("folds accents", () => {
    expect(normalizeText("Café résumé")).toBe("cafe resume");
  });
});

describe("tokenize keeps number punctuation that slots need", () => {
  it("keeps money, decimals and thousands together", () => {
    expect(tokenize("I paid $25.50, not $ 1,200.")).toEqual(["i", "paid", "$25.50", "not", "$1200"]);
  });

  it("keeps dates and dashed digit groups as one token", () => {
    expect(tokenize("on 1/5/2026 or 2026-01-05, card 4111-1111")).toEqual([
      "on",
      "1/5/2026",
      "or",
      "2026-01-05",
      "card",
      "4111-1111",
    ]);
  });

  it("keeps ordinal suffixes on numbers", () => {
    expect(tokenize("the 21st of May")).toEqual(["the", "21st", "of", "may"]);
  });
});

describe("expandContractions", () => {
  it("leaves words without apostrophes alone", () => {
    expect(expandContractions("rock n roll")).toBe("rock n roll");
  });
});
