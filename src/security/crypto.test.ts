import { describe, expect, it } from "vitest";
import { digestsEqual, sha256Hex } from "./crypto";

describe("digestsEqual", () => {
  it("tells equal digests from digests differing anywhere, or in length", async () => {
    const a = await sha256Hex("ve_key_one");
    expect(digestsEqual(a, await sha256Hex("ve_key_one"))).toBe(true);
    expect(digestsEqual(a, await sha256Hex("ve_key_two"))).toBe(false);
    const lastFlipped = a.slice(0, -1) + (a.endsWith("0") ? "1" : "0");
    expect(digestsEqual(a, lastFlipped)).toBe(false);
    expect(digestsEqual(a, a.slice(0, -2))).toBe(false);
    expect(digestsEqual("", "")).toBe(true);
  });
});
