import { describe, expect, it } from "vitest";
import { InputError } from "../lib/errors";
import { parseAgentDefinition } from "./definition";
import { objectSchemaProblem } from "./json-schema-shape";

const webhook = (extra: Record<string, unknown> = {}) => ({
  type: "webhook",
  name: "lookup_order",
  description: "Looks up an order",
  parameters: { type: "object", properties: { orderId: { type: "string" } }, required: ["orderId"] },
  url: "https://tools.example.com/orders",
  ...extra,
});

const flow = {
  id: "tiny",
  name: "Tiny",
  language: "en-US",
  initialState: "start",
  greeting: "Hello from tiny.",
  states: { start: {} },
  intents: [{ name: "hours", keywords: ["hours"], reply: "We are open nine to five." }],
  fallback: { reply: "Sorry?" },
};

/** The 400's detail for `raw`, failing the test when it is accepted. */
function refusal(raw: unknown, allowPrivateUrls = false): string {
  try {
    parseAgentDefinition(raw, { allowPrivateUrls });
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).status).toBe(400);
    expect((err as InputError).code).toBe("invalid_agent");
    return (err as InputError).message;
  }
  throw new Error(`accepted: ${JSON.stringify(raw)}`);
}

describe("parseAgentDefinition", () => {
  it("accepts a full definition and applies the defaults", () => {
    const def = parseAgentDefinition(
      {
        name: "Support",
        instructions: "You help callers with orders.",
        greeting: "Hi, this is Acme.",
        fallback: "Sorry, I cannot answer right now.",
        llm: { provider: "openai", model: "gpt-4.1-mini", temperature: 0.3, maxOutputTokens: 300 },
        tools: [
          webhook({ timeoutMs: 5000 }),
          { type: "end_call" },
          { type: "transfer", number: "+14155550123" },
          { type: "mcp", url: "https://mcp.example.com/mcp", allowedTools: ["search"] },
        ],
        voice: { provider: "polly", voice: "Joanna" },
        language: "en-GB",
        analysis: { summary: true, schema: { type: "object" }, successCriteria: "The order was found." },
      },
      { allowPrivateUrls: false },
    );
    expect(def.maxToolCallsPerTurn).toBe(4);
    expect(def.tools).toHaveLength(4);
    expect(parseAgentDefinition({ instructions: "x" }, { allowPrivateUrls: false }).tools).toEqual([]);
    expect(parseAgentDefinition({ flow }, { allowPrivateUrls: false }).flow).toEqual(flow);
  });

  it("needs instructions unless a flow is given, at most 20,000 characters", () => {
    expect(refusal({})).toContain("instructions: is required unless flow is given");
    expect(refusal({ instructions: "   " })).toContain("instructions: must not be empty");
    expect(refusal({ instructions: "a".repeat(20_001) })).toContain("instructions: must be at most 20000 characters");
    expect(parseAgentDefinition({ instructions: "a".repeat(20_000) }, { allowPrivateUrls: false })).toBeTruthy();
  });

  it("validates an uploaded flow with the built-in engine's parser, naming the flow's field", () => {
    expect(refusal({ flow: { ...flow, intents: [] } })).toMatch(/flow: intents: /);
    expect(refusal({ flow: { ...flow, initialState: "nowhere" } })).toMatch(/flow: initialState: .*nowhere/);
    expect(refusal({ flow: "contact-center" })).toMatch(/flow: /);
  });

  it("refuses unknown fields, at any depth, by name", () => {
    expect(refusal({ instructions: "x", webhookSecret: "whsec_x" })).toContain("webhookSecret: is not a field");
    expect(refusal({ instructions: "x", llm: { temprature: 1 } })).toContain("llm.temprature: is not a field");
    expect(refusal({ instructions: "x", tools: [webhook({ secret: "s" })] })).toContain("tools[0].secret");
  });

  it("checks the model settings", () => {
    expect(refusal({ instructions: "x", llm: { provider: "openrouter" } })).toMatch(/llm\.provider: /);
    expect(refusal({ instructions: "x", llm: { temperature: 2.5 } })).toMatch(/llm\.temperature: /);
    expect(refusal({ instructions: "x", llm: { maxOutputTokens: 0 } })).toMatch(/llm\.maxOutputTokens: /);
    expect(refusal({ instructions: "x", llm: { maxOutputTokens: 8193 } })).toMatch(/llm\.maxOutputTokens: /);
    expect(refusal({ instructions: "x", maxToolCallsPerTurn: 17 })).toMatch(/maxToolCallsPerTurn: /);
    expect(refusal({ instructions: "x", maxToolCallsPerTurn: 0 })).toMatch(/maxToolCallsPerTurn: /);
    expect(refusal({ instructions: "x", language: "english please" })).toMatch(/language: must be a BCP-47/);
  });

  it("refuses unknown tool types, naming the tool", () => {
    const detail = refusal({ instructions: "x", tools: [webhook(), { type: "sql", query: "x" }] });
    expect(detail).toContain("tools[1].type: must be one of webhook, end_call, transfer, mcp");
    expect(refusal({ instructions: "x", tools: [{ name: "x" }] })).toContain("tools[0].type: must be one of");
  });

  it("refuses tool names that are not identifiers, and duplicate names", () => {
    expect(refusal({ instructions: "x", tools: [webhook({ name: "look up" })] })).toContain("tools[0].name: ");
    expect(refusal({ instructions: "x", tools: [webhook({ name: "a".repeat(65) })] })).toContain("tools[0].name: ");
    const dup = refusal({ instructions: "x", tools: [webhook(), { type: "end_call" }, webhook()] });
    expect(dup).toContain("tools[2].name: 'lookup_order' is already the name of tools[0]");
    const named = refusal({ instructions: "x", tools: [webhook({ name: "end_call" }), { type: "end_call" }] });
    expect(named).toContain("tools[1].type: 'end_call' is already the name of tools[0]");
    const twice = refusal({ instructions: "x", tools: [{ type: "transfer" }, { type: "transfer" }] });
    expect(twice).toContain("tools[1].type: ");
  });

  it("refuses parameters that are not a JSON Schema of an object", () => {
    const detail = (parameters: unknown) => refusal({ instructions: "x", tools: [webhook({ parameters })] });
    expect(detail("a string")).toContain("tools[0].parameters: ");
    expect(detail([])).toContain("tools[0].parameters: ");
    expect(detail({ type: "string" })).toContain('tools[0].parameters.type: must be "object"');
    expect(detail({ properties: {} })).toContain("tools[0].parameters.type: ");
    expect(detail({ type: "object", properties: { a: { type: "strnig" } } })).toContain(
      "tools[0].parameters.properties.a.type: must be one of",
    );
    expect(detail({ type: "object", properties: { a: 5 } })).toContain("tools[0].parameters.properties.a: ");
    expect(detail({ type: "object", required: "a" })).toContain("tools[0].parameters.required: ");
    expect(detail({ type: "object", $ref: "https://evil.example/schema" })).toContain("tools[0].parameters.$ref");
    expect(refusal({ instructions: "x", tools: [webhook({ parameters: undefined })] })).toContain(
      "tools[0].parameters: ",
    );
    expect(refusal({ instructions: "x", analysis: { schema: { type: "array" } } })).toContain("analysis.schema.type: ");
  });

  it("refuses timeouts over 10 s and transfer numbers that are not E.164", () => {
    expect(refusal({ instructions: "x", tools: [webhook({ timeoutMs: 10_001 })] })).toContain("tools[0].timeoutMs: ");
    expect(refusal({ instructions: "x", tools: [{ type: "transfer", number: "555-1234" }] })).toContain(
      "tools[0].number: must be an E.164 number",
    );
  });

  it("refuses tool URLs that are not https, or private, unless the deployment allows them", () => {
    const tools = [{ type: "end_call" }, webhook({ url: "http://tools.example.com/x" })];
    expect(refusal({ instructions: "x", tools })).toContain("tools[1].url: must use https");
    expect(parseAgentDefinition({ instructions: "x", tools }, { allowPrivateUrls: true }).tools).toHaveLength(2);
    const local = [{ type: "mcp", url: "https://127.0.0.1:9000/mcp" }];
    expect(refusal({ instructions: "x", tools: local })).toContain("tools[0].url: must not be a loopback");
    expect(parseAgentDefinition({ instructions: "x", tools: local }, { allowPrivateUrls: true })).toBeTruthy();
    // Never another scheme, nor credentials in the URL, whatever the setting.
    expect(refusal({ instructions: "x", tools: [webhook({ url: "ftp://x.example/" })] }, true)).toContain(
      "tools[0].url: must use http or https",
    );
    expect(refusal({ instructions: "x", tools: [webhook({ url: "https://u:p@x.example/" })] }, true)).toContain(
      "tools[0].url: must not carry",
    );
    expect(refusal({ instructions: "x", tools: [webhook({ url: "/relative" })] })).toContain(
      "tools[0].url: must be an absolute URL",
    );
  });

  it("refuses more than 32 tools", () => {
    const tools = Array.from({ length: 33 }, (_, i) => webhook({ name: `t${i}` }));
    expect(refusal({ instructions: "x", tools })).toContain("tools: must hold at most 32 tools");
  });

  it("refuses what is not an object at all", () => {
    expect(refusal(null)).toMatch(/\(definition\): /);
    expect(refusal([])).toMatch(/\(definition\): /);
  });
});

describe("objectSchemaProblem", () => {
  it("accepts common schemas, booleans, nested and older-draft forms", () => {
    expect(objectSchemaProblem({ type: "object" })).toBeUndefined();
    expect(
      objectSchemaProblem({
        $schema: "http://json-schema.org/draft-07/schema#",
        type: "object",
        properties: {
          when: { type: "string", format: "date" },
          count: { type: ["integer", "null"], minimum: 0 },
          tags: { type: "array", items: { type: "string", enum: ["a", "b"] }, maxItems: 4 },
          pair: { type: "array", items: [{ type: "string" }, { type: "number" }] },
          any: true,
          shape: { oneOf: [{ $ref: "#/$defs/circle" }, { type: "null" }] },
        },
        $defs: { circle: { type: "object", properties: { r: { type: "number" } } } },
        additionalProperties: false,
        "x-vendor": { anything: 1 },
      }),
    ).toBeUndefined();
  });

  it("names the first bad keyword", () => {
    expect(objectSchemaProblem({ type: "object", properties: [] })?.path).toEqual(["properties"]);
    expect(objectSchemaProblem({ type: "object", anyOf: [] })?.path).toEqual(["anyOf"]);
    expect(objectSchemaProblem({ type: "object", minProperties: -1 })?.path).toEqual(["minProperties"]);
    expect(objectSchemaProblem({ type: "object", description: 5 })?.path).toEqual(["description"]);
    expect(objectSchemaProblem({ type: "object", items: [{ type: "x" }] })?.path).toEqual(["items", 0, "type"]);
    let deep: Record<string, unknown> = { type: "object" };
    for (let i = 0; i < 40; i++) deep = { type: "object", properties: { a: deep } };
    expect(objectSchemaProblem(deep)?.message).toMatch(/deeper than/);
  });
});
