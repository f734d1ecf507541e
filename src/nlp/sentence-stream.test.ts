import { describe, expect, it } from "vitest";
import { SentenceStream } from "./sentence-stream";
import { splitSentences } from "./sentences";

function feed(tokens: string[]): string[][] {
  const s = new SentenceStream();
  return [...tokens.map((t) => s.push(t)), s.end()];
}

describe("SentenceStream", () => {
  it("lets a sentence go as soon as it ends, before the next one is written", () => {
    const out = feed(["Your balance is ", "forty two dollars", ".", " Anything", " else?"]);
    expect(out[2]).toEqual(["Your balance is forty two dollars."]);
    expect(out.at(-1)).toEqual(["Anything else?"]);
  });

  it("does not cut after a title or an abbreviation that needs more", () => {
    const s = new SentenceStream();
    expect(s.push("Please hold for Dr.")).toEqual([]);
    expect(s.push(" Smith, who will call you back.")).toEqual(["Please hold for Dr. Smith, who will call you back."]);
  });

  it("keeps a short opening with what follows, like splitSentences", () => {
    const s = new SentenceStream();
    expect(s.push("Sure.")).toEqual([]);
    expect(s.push(" Let me look that up for you.")).toEqual(["Sure. Let me look that up for you."]);
  });

  it("gives the same sentences as splitting the whole text, token by token", () => {
    const text =
      "Thanks for calling. Your order 12.5 kg of coffee ships on Mon. Tuesday at the latest, e.g. by noon. " +
      "Is there anything else I can help with today?";
    const tokens = text.match(/\S+\s*/g) ?? [];
    expect(feed(tokens).flat()).toEqual(splitSentences(text));
  });

  it("returns nothing for nothing", () => {
    expect(feed([]).flat()).toEqual([]);
    expect(feed(["", " "]).flat()).toEqual([]);
  });
});
