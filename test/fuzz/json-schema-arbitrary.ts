import fc from "fast-check";

/**
 * Request bodies from the API's own JSON Schemas (the components of GET /openapi.json): values
 * that mostly follow a schema, so requests get past the first check and into deep validation,
 * with a mutation at any node now and then (a wrong type, a value past a bound, an unknown
 * field, a missing required field, hostile strings and numbers).
 */

export type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  nullable?: boolean;
};

/** Strings that have broken parsers elsewhere: control characters, lone surrogates, prototype keys, markup. */
export const hostileStrings: readonly string[] = [
  "",
  " ",
  "\u0000",
  "\ud800",
  "\udfff",
  "\u202e\u0041",
  "\ufeff",
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "../../etc/passwd",
  "%00",
  "%",
  "<script>alert(1)</script>",
  "${jndi:ldap://x}",
  "{{7*7}}",
  "NaN",
  "-0",
  "1e309",
  "null",
  "true",
  "0x10",
  "\t\n\r",
  "😀".repeat(40),
  "a".repeat(65),
  "a".repeat(5001),
  "9".repeat(400),
];

const hostileNumbers: readonly number[] = [
  0,
  -0,
  -1,
  1,
  0.5,
  -1e-9,
  2 ** 31,
  2 ** 53,
  2 ** 53 + 2,
  -(2 ** 53),
  1e308,
  -1e308,
  Number.MIN_VALUE,
  8000,
  16000,
  22050,
  24000,
  44100,
];

/** Any JSON value, hostile strings included. */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 2, arbitrary: fc.constantFrom<unknown>(...hostileStrings) },
  { weight: 2, arbitrary: fc.constantFrom<unknown>(...hostileNumbers) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(null, true, false, [], {}, [[[]]], { "": "" }) },
);

/** A string of mixed alphabets: ASCII mostly, with any Unicode now and then. */
export function anyString(maxLength = 40): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 5, arbitrary: fc.string({ maxLength }) },
    { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength }) },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength }) },
    { weight: 1, arbitrary: fc.constantFrom(...hostileStrings) },
  );
}

export class SchemaArbitraries {
  private readonly cache = new Map<JsonSchema, fc.Arbitrary<unknown>>();

  /** `components` from /openapi.json; `mutationWeight` in 1/(8 + weight) per node. */
  constructor(
    private readonly components: Record<string, JsonSchema>,
    private readonly mutationWeight = 1,
  ) {}

  named(name: string): fc.Arbitrary<unknown> {
    const schema = this.components[name];
    if (!schema) throw new Error(`no schema named ${name} in /openapi.json`);
    return this.of(schema);
  }

  /** A value that mostly fits `schema`, mutated now and then at any depth. */
  of(schema: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
    const cached = this.cache.get(schema);
    if (cached && depth > 0) return cached;
    const fitting = this.fitting(this.resolve(schema), depth);
    const arb = fc.oneof(
      { weight: 8, arbitrary: fitting },
      { weight: this.mutationWeight, arbitrary: anyJson },
      { weight: this.mutationWeight, arbitrary: this.pastBounds(this.resolve(schema)) },
    );
    if (depth > 0) this.cache.set(schema, arb);
    return arb;
  }

  private resolve(schema: JsonSchema): JsonSchema {
    if (!schema.$ref) return schema;
    const name = schema.$ref.replace("#/components/schemas/", "");
    const target = this.components[name];
    if (!target) throw new Error(`unresolved ${schema.$ref}`);
    return this.resolve(target);
  }

  private fitting(schema: JsonSchema, depth: number): fc.Arbitrary<unknown> {
    if (depth > 6) return fc.constant(null);
    if (schema.const !== undefined) return fc.constant(schema.const);
    if (schema.enum) return fc.constantFrom(...schema.enum);
    const alternatives = schema.anyOf ?? schema.oneOf;
    if (alternatives) return fc.oneof(...alternatives.map((s) => this.of(s, depth + 1)));
    if (schema.allOf) return this.fitting(Object.assign({}, ...schema.allOf.map((s) => this.resolve(s))), depth);
    const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
    const base = this.fittingOfType(schema, type, depth);
    return schema.nullable ? fc.option(base, { nil: null, freq: 8 }) : base;
  }

  private fittingOfType(schema: JsonSchema, type: string | undefined, depth: number): fc.Arbitrary<unknown> {
    switch (type) {
      case "string":
        return this.stringFitting(schema);
      case "integer":
        return fc.integer({
          min: Math.ceil(schema.minimum ?? -1000),
          max: Math.floor(schema.maximum ?? 100_000),
        });
      case "number":
        return fc.double({
          min: schema.minimum ?? -1000,
          max: schema.maximum ?? 100_000,
          noNaN: true,
          noDefaultInfinity: true,
        });
      case "boolean":
        return fc.boolean();
      case "null":
        return fc.constant(null);
      case "array":
        return fc.array(schema.items ? this.of(schema.items, depth + 1) : anyJson, {
          minLength: schema.minItems ?? 0,
          maxLength: Math.min(schema.maxItems ?? 4, 4),
        });
      case "object":
        return this.objectFitting(schema, depth);
      default:
        return anyJson;
    }
  }

  private stringFitting(schema: JsonSchema): fc.Arbitrary<string> {
    const min = schema.minLength ?? 0;
    // Long valid strings are rare: a 5,000-character text is synthesized, which costs seconds.
    const max = Math.min(schema.maxLength ?? 80, 80);
    if (schema.pattern) {
      let regex: RegExp;
      try {
        regex = new RegExp(schema.pattern);
      } catch {
        return fc.string({ minLength: min, maxLength: Math.max(min, max) });
      }
      return fc.stringMatching(regex).filter((s) => s.length >= min && s.length <= (schema.maxLength ?? Infinity));
    }
    return fc.oneof(
      { weight: 6, arbitrary: fc.string({ minLength: min, maxLength: Math.max(min, max) }) },
      {
        weight: 2,
        arbitrary: fc.string({ unit: "grapheme", minLength: min, maxLength: Math.max(min, Math.min(max, 20)) }),
      },
      { weight: 1, arbitrary: fc.constantFrom("what is my balance", "billing", "goodbye", "1234#", "en-US") },
    );
  }

  private objectFitting(schema: JsonSchema, depth: number): fc.Arbitrary<unknown> {
    const props = schema.properties ?? {};
    const required = new Set(schema.required ?? []);
    const model: Record<string, fc.Arbitrary<unknown>> = {};
    for (const [k, s] of Object.entries(props)) model[k] = this.of(s, depth + 1);
    const known = fc.record(model, { requiredKeys: [...required].filter((k) => k in props) });
    const extra =
      schema.additionalProperties && typeof schema.additionalProperties === "object"
        ? fc.dictionary(anyString(12), this.of(schema.additionalProperties, depth + 1), { maxKeys: 3 })
        : schema.additionalProperties === true || Object.keys(props).length === 0
          ? fc.dictionary(anyString(12), anyJson, { maxKeys: 3 })
          : fc.constant({});
    return fc.tuple(known, extra).map(([k, e]) => ({ ...e, ...k }));
  }

  /** A value just outside the schema: a bound crossed, a required field gone, a field nobody declared. */
  private pastBounds(schema: JsonSchema): fc.Arbitrary<unknown> {
    const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
    if (type === "string") {
      const over = (schema.maxLength ?? 5000) + 1;
      return fc.constantFrom("", "x".repeat(Math.min(over, 200_000)), "\ud800", "a\u0000b", " padded ");
    }
    if (type === "integer" || type === "number") {
      const lo = schema.minimum ?? 0;
      const hi = schema.maximum ?? 1e6;
      return fc.constantFrom(lo - 1, hi + 1, lo - 0.5, hi + 0.5, -0, 1e308, `${lo}`);
    }
    if (type === "object" && schema.properties) {
      const keys = Object.keys(schema.properties);
      return fc.oneof(
        this.objectFitting(schema, 7).map((v) => ({ ...(v as object), unknownField: 1 })),
        fc.tuple(this.objectFitting(schema, 7), fc.constantFrom(...(keys.length ? keys : ["x"]))).map(([v, k]) => {
          const copy = { ...(v as Record<string, unknown>) };
          delete copy[k];
          return copy;
        }),
        fc.constantFrom<unknown>(JSON.parse('{"__proto__":{"polluted":true}}'), { constructor: { prototype: {} } }),
      );
    }
    return anyJson;
  }
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every place in a JSON tree: its parent and the key (or index) under it. */
function places(value: Json, out: [Json[] | { [k: string]: Json }, string | number][] = []) {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      out.push([value, i]);
      places(v, out);
    });
  } else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      out.push([value, k]);
      places(v, out);
    }
  }
  return out;
}

/**
 * A known-good document with one to four edits at random places: a value replaced (by any JSON,
 * or by another value of the document, which keeps references plausible), a key removed, a value
 * copied under a new key. Reaches the validation of structures too rich to generate from a schema,
 * such as flow definitions.
 */
export function mutated(examples: readonly unknown[]): fc.Arbitrary<unknown> {
  const edit = fc.record({
    at: fc.nat(),
    op: fc.constantFrom("replace", "replace", "swap", "delete", "copy"),
    value: anyJson,
    from: fc.nat(),
  });
  return fc
    .tuple(fc.constantFrom(...examples), fc.array(edit, { minLength: 0, maxLength: 4 }))
    .map(([example, edits]) => {
      const doc = structuredClone(example) as Json;
      for (const e of edits) {
        const all = places(doc);
        if (all.length === 0) break;
        const [parent, key] = all[e.at % all.length]!;
        const [fromParent, fromKey] = all[e.from % all.length]!;
        const other = structuredClone((fromParent as Record<string | number, Json>)[fromKey] ?? null);
        const target = parent as Record<string | number, Json>;
        if (e.op === "replace") target[key] = e.value as Json;
        else if (e.op === "swap") target[key] = other;
        else if (e.op === "delete") {
          if (Array.isArray(parent)) parent.splice(key as number, 1);
          else delete target[key];
        } else if (!Array.isArray(parent)) target[`${String(key)}_copy`] = other;
      }
      return doc;
    });
}
