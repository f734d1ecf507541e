import { describe, expect, it } from "vitest";
import { tokenize } from "./normalize";
import { wordsToNumbers } from "./numbers";

const convert = (text: string): string => wordsToNumbers(tokenize(text)).join(" ");

describe("wordsToNumbers", () => {
  it.each([
    ["one two three", "123"],
    ["four one one one", "4111"],
    ["twenty five dollars", "25 dollars"],
    ["one hundred and five", "105"],
    ["a hundred dollars", "100 dollars"],
    ["two thousand twenty six", "2026"],
    ["nineteen ninety nine", "1999"],
    ["twenty twenty six", "2026"],
    ["five oh two", "502"],
    ["zero zero seven", "007"],
    ["twenty five point five zero", "25.50"],
    ["three hundred forty two thousand", "342000"],
    ["the twenty first of june", "the 21st of june"],
    ["my third call", "my 3rd call"],
    ["card 4111 1111 1111 1111 thanks", "card 4111111111111111 thanks"],
  ])("%s → %s", (input, expected) => {
    expect(convert(input)).toBe(expected);
  });

  it("leaves separate numbers separate", () => {
    expect(convert("I have two accounts and three cards")).toBe("i have 2 accounts and 3 cards");
  });

  it("treats oh as zero only inside a number", () => {
    expect(convert("oh no")).toBe("oh no");
    expect(convert("oh one two")).toBe("oh 12");
  });

  it("leaves text without numbers unchanged", () => {
    expect(convert("check my balance please")).toBe("check my balance please");
    expect(convert("constructor hasownproperty first")).toBe("constructor hasownproperty 1st");
  });
});
