import { describe, expect, it } from "vitest";
import { stem } from "./stem";

describe("Porter stemmer", () => {
  // Examples from Porter's paper and the reference implementation's vocabulary.
  it.each([
    ["caresses", "caress"],
    ["ponies", "poni"],
    ["cats", "cat"],
    ["agreed", "agre"],
    ["plastered", "plaster"],
    ["motoring", "motor"],
    ["hopping", "hop"],
    ["filing", "file"],
    ["happy", "happi"],
    ["relational", "relat"],
    ["conditional", "condit"],
    ["generalization", "gener"],
    ["electrical", "electr"],
    ["hopefulness", "hope"],
    ["adjustable", "adjust"],
    ["adoption", "adopt"],
    ["controlling", "control"],
    ["rolled", "roll"],
  ])("%s → %s", (word, expected) => {
    expect(stem(word)).toBe(expected);
  });

  it("conflates the inflections the contact-center flow relies on", () => {
    expect(new Set(["charge", "charges", "charged", "charging"].map(stem))).toEqual(new Set(["charg"]));
    expect(stem("billing")).toBe(stem("bill"));
    expect(stem("payments")).toBe(stem("payment"));
    expect(stem("representatives")).toBe(stem("representative"));
    expect(stem("working")).toBe(stem("works"));
  });

  it("leaves short words, numbers and non-letters alone", () => {
    expect(stem("is")).toBe("is");
    expect(stem("2026")).toBe("2026");
    expect(stem("$25")).toBe("$25");
  });
});
