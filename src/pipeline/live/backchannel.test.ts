import { describe, expect, it } from "vitest";
import { BARGE_IN_DEFAULTS, interrupts, isBackchannel, meaningfulWords } from "./backchannel";

describe("barge-in by words (streaming recognition)", () => {
  it("does not count backchannels as words", () => {
    for (const text of ["uh-huh", "Uh huh.", "okay", "OK, yeah", "mm-hmm right", "Got it.", "all right"])
      expect([text, isBackchannel(text)]).toEqual([text, true]);
    expect(meaningfulWords("Okay, wait a second!")).toEqual(["wait", "a", "second"]);
    expect(isBackchannel("")).toBe(false);
    expect(isBackchannel("no")).toBe(false);
  });

  it("interrupts at minWords real words, or minSpeechMs of speech that is not a backchannel so far", () => {
    expect(interrupts("uh-huh", 400, BARGE_IN_DEFAULTS)).toBe(false);
    expect(interrupts("uh-huh okay", 900, BARGE_IN_DEFAULTS)).toBe(false); // a long backchannel is one still
    expect(interrupts("wait", 300, BARGE_IN_DEFAULTS)).toBe(false);
    expect(interrupts("wait a", 300, BARGE_IN_DEFAULTS)).toBe(true);
    expect(interrupts("", 300, BARGE_IN_DEFAULTS)).toBe(false); // a cough: short, and no words
    expect(interrupts("", 650, BARGE_IN_DEFAULTS)).toBe(true); // words not known yet, but long speech
    expect(interrupts("wait a", 300, { minWords: 3, minSpeechMs: 1000 })).toBe(false);
  });
});
