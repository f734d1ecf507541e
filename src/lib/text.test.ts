import { describe, expect, it } from "vitest";
import { findTextProblem, textProblem } from "./text";

describe("textProblem", () => {
  it("allows text, tab, line breaks, astral characters and other Unicode", () => {
    for (const s of ["", "hello", "a\tb\r\nc", "\ud83d\ude00 ok", "caf\u00e9 \u00a0 \u200b \ufeff \ufffd"])
      expect(textProblem(s)).toBeNull();
  });

  it("refuses C0 controls but tab/LF/CR, DEL and C1 controls, naming the character and where it is", () => {
    expect(textProblem("ab\u0000")).toMatch(/control characters \(U\+0000 at character 3\)/);
    for (const c of ["\u0001", "\u0008", "\u000b", "\u000c", "\u000e", "\u001f", "\u007f", "\u0080", "\u009f"])
      expect(textProblem(`x${c}`)).toMatch(/must not contain control characters/);
  });

  it("refuses unpaired surrogates, high or low, and a pair in the wrong order", () => {
    expect(textProblem("\ud800")).toMatch(/unpaired UTF-16 surrogate \(U\+D800 at character 1\)/);
    expect(textProblem("a\udfff")).toMatch(/U\+DFFF at character 2/);
    expect(textProblem("\udc00\ud800")).toMatch(/U\+DC00/);
    expect(textProblem("\ud83d")).toMatch(/U\+D83D/);
  });
});

describe("findTextProblem", () => {
  it("names the path of the first bad string, and checks object keys", () => {
    expect(findTextProblem({ a: "ok", b: [1, "fine", { c: "x\u0000" }] })).toMatchObject({ path: ["b", 2, "c"] });
    const key = findTextProblem({ meta: { "k\u0007": 1 } });
    expect(key?.path).toEqual(["meta"]);
    expect(key?.problem).toMatch(/^key "k\\u0007" must not contain control characters/);
    expect(findTextProblem({ a: 1, b: null, c: true, d: ["\ud83d\ude00"] })).toBeNull();
    expect(findTextProblem("\ud800")).toMatchObject({ path: [] });
  });

  it("walks deep nesting without recursion", () => {
    let deep: unknown = "bad\u0001";
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findTextProblem(deep)?.path.length).toBe(100_000);
  });
});
