import { describe, expect, it } from "vitest";
import { Playback, type PlaybackState } from "./playback";

// The modelled playback of a reply whose sentences arrive in pieces (streaming TTS).

function reply(): { playback: Playback; state: PlaybackState } {
  const state: PlaybackState = {};
  const playback = new Playback(state, () => null);
  playback.begin("turn-1");
  return { playback, state };
}

describe("a streamed sentence in the modelled playback", () => {
  it("is one sentence however many pieces it came in, ending when its last piece has played", () => {
    const { playback, state } = reply();
    playback.sent("turn-1", "One.", 200, 1000, "more");
    playback.sent("turn-1", "One.", 200, 1100, "more");
    playback.sent("turn-1", "One.", 100, 1150, "end");
    playback.sent("turn-1", "Two.", 300, 1200);
    expect(state.playback).toEqual({ turnId: "turn-1", ends: [1500, 1800] });
  });

  it("starts a piece that arrives after the audio before it ran out when it arrives", () => {
    const { playback, state } = reply();
    playback.sent("turn-1", "One.", 200, 1000, "more");
    playback.sent("turn-1", "One.", 200, 1500, "end");
    expect(state.playback?.ends).toEqual([1700]);
  });

  it("does not count a sentence still streaming as played, even when its audio so far has played", () => {
    const { playback } = reply();
    playback.sent("turn-1", "One.", 200, 1000);
    playback.sent("turn-1", "Two.", 200, 1000, "more");
    // Both pieces' audio has played by 1500, but more of "Two." was still to come.
    expect(playback.bargeIn(1500)).toEqual({ turnId: "turn-1", spokenText: "One.", revise: false });
  });

  it("counts a cut sentence as played once what was sent of it has", () => {
    const { playback } = reply();
    playback.sent("turn-1", "One.", 200, 1000, "more");
    playback.sent("turn-1", "One.", 0, 1100, "cut");
    playback.sent("turn-1", "Two.", 500, 1100);
    expect(playback.bargeIn(1300)).toEqual({ turnId: "turn-1", spokenText: "One.", revise: false });
  });
});
