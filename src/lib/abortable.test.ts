import { describe, expect, it } from "vitest";
import { abortRace, untilAborted } from "./abortable";

describe("abortRace", () => {
  it("passes each work's outcome through until the signal aborts, then rejects with its reason", async () => {
    const controller = new AbortController();
    const race = abortRace(controller.signal);
    expect(await race(Promise.resolve(1))).toBe(1);
    await expect(race(Promise.reject(new Error("broke")))).rejects.toThrow("broke");
    const hung = race(new Promise(() => {}));
    controller.abort(new Error("barge-in"));
    await expect(hung).rejects.toThrow("barge-in");
    await expect(race(Promise.resolve(2))).rejects.toThrow("barge-in");
  });

  it("rejects at once on a signal already aborted, as untilAborted does", async () => {
    const signal = AbortSignal.abort(new Error("gone"));
    await expect(abortRace(signal)(Promise.resolve(1))).rejects.toThrow("gone");
    await expect(untilAborted(Promise.resolve(1), signal)).rejects.toThrow("gone");
  });
});
