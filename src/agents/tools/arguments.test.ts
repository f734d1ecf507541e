import { describe, expect, it } from "vitest";
import { argumentChecker, parseArguments, schemaDraft } from "./arguments";

const schema = {
  type: "object",
  properties: {
    orderId: { type: "string", pattern: "^[A-Z][0-9]+$" },
    quantity: { type: "integer", minimum: 1 },
    speed: { enum: ["standard", "express"] },
  },
  required: ["orderId"],
  additionalProperties: false,
};

describe("tool arguments", () => {
  it("pass valid arguments through as an object", () => {
    const check = argumentChecker(schema);
    expect(check('{"orderId":"A7","quantity":2}')).toEqual({ ok: true, args: { orderId: "A7", quantity: 2 } });
  });

  it("name each problem for the model, not the schema's wrapper errors", () => {
    const check = argumentChecker(schema);
    const result = check('{"quantity":0,"speed":"warp","extra":true}');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatch(/^invalid arguments: /);
    expect(result.error).toContain('required property "orderId"');
    expect(result.error).toContain("arguments/quantity:");
    expect(result.error).toContain("arguments/speed:");
    expect(result.error).toContain('"extra"');
    expect(result.error).not.toContain("does not match schema");
    expect(result.error).not.toContain("False boolean schema");
  });

  it("refuse text that is not a JSON object, and read empty text as no arguments", () => {
    expect(parseArguments("{oops")).toEqual({
      ok: false,
      error: "invalid arguments: not valid JSON; send a JSON object",
    });
    expect(parseArguments("[1]")).toEqual({ ok: false, error: "invalid arguments: must be a JSON object" });
    expect(parseArguments("null").ok).toBe(false);
    expect(parseArguments("  ")).toEqual({ ok: true, args: {} });
    expect(argumentChecker({ type: "object", required: ["a"] })("").ok).toBe(false);
  });

  it("follow the draft a schema declares", () => {
    expect(schemaDraft({})).toBe("2020-12");
    expect(schemaDraft({ $schema: "http://json-schema.org/draft-07/schema#" })).toBe("7");
    // Draft 7's tuple form of items: the second item must be a number.
    const draft7 = argumentChecker({
      $schema: "http://json-schema.org/draft-07/schema#",
      type: "object",
      properties: { pair: { type: "array", items: [{ type: "string" }, { type: "number" }] } },
    });
    expect(draft7('{"pair":["a",1]}').ok).toBe(true);
    expect(draft7('{"pair":["a","b"]}').ok).toBe(false);
  });

  it("refuse to run a tool whose schema cannot be used, rather than send unchecked arguments", () => {
    const check = argumentChecker({ type: "object", properties: { a: { $ref: "#/$defs/missing" } } });
    const result = check('{"a":1}');
    expect(result).toEqual({ ok: false, error: expect.stringContaining("schema cannot be used") });
  });
});
