import { describe, expect, it } from "vitest";
import { setBounded } from "./bounded-map";

describe("setBounded", () => {
  it("drops the oldest entries beyond the bound", () => {
    const m = new Map<string, number>();
    for (const [i, k] of ["a", "b", "c", "d"].entries()) setBounded(m, k, i, 3);
    expect([...m.keys()]).toEqual(["b", "c", "d"]);
  });

  it("makes a key set again the newest, so it is dropped last", () => {
    const m = new Map([
      ["a", 1],
      ["b", 2],
      ["c", 3],
    ]);
    setBounded(m, "a", 10, 3);
    setBounded(m, "d", 4, 3);
    expect([...m.entries()]).toEqual([
      ["c", 3],
      ["a", 10],
      ["d", 4],
    ]);
  });
});
