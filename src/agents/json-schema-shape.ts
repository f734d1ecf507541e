/**
 * Whether a tenant's JSON is a JSON Schema at all, checked when the agent is saved: a tool's
 * `parameters` and `analysis.schema`. The model is shown the schema and its arguments are
 * validated against it on every call (tools/arguments.ts, @cfworker/json-schema), so a schema that
 * is not one must be refused at PUT with the field named, not discovered mid-call.
 *
 * This checks the shape of the keywords that take schemas or typed values (the meta-schema's job,
 * which @cfworker/json-schema does not do), not every rule of every draft; unknown keywords are
 * allowed, as JSON Schema allows them.
 */

export interface SchemaProblem {
  /** Where, below the schema itself (["properties", "city", "type"]). */
  path: (string | number)[];
  message: string;
}

const TYPES = new Set(["null", "boolean", "object", "array", "number", "string", "integer"]);
/** Keywords whose value is one schema. */
const ONE = [
  "additionalProperties",
  "unevaluatedProperties",
  "unevaluatedItems",
  "additionalItems",
  "propertyNames",
  "contains",
  "not",
  "if",
  "then",
  "else",
];
/** Keywords whose value is a non-empty array of schemas. */
const LIST = ["allOf", "anyOf", "oneOf", "prefixItems"];
/** Keywords whose value maps names to schemas. */
const MAP = ["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"];
const NON_NEGATIVE = ["minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"];
const NUMBERS = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"];
const STRINGS = ["title", "description", "format", "pattern", "$id", "$schema", "$comment"];
/** Deeper than this is not a tool's arguments but an attempt to make validation expensive. */
const MAX_DEPTH = 32;

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

/** The first problem of `value` as the schema of an object (`type: "object"`), or undefined. */
export function objectSchemaProblem(value: unknown): SchemaProblem | undefined {
  if (!isPlainObject(value)) return { path: [], message: 'must be a JSON Schema object such as {"type":"object"}' };
  if (value.type !== "object") return { path: ["type"], message: 'must be "object": the arguments are an object' };
  return schemaProblem(value, [], 0);
}

function schemaProblem(schema: unknown, path: (string | number)[], depth: number): SchemaProblem | undefined {
  if (typeof schema === "boolean") return undefined;
  if (!isPlainObject(schema)) return { path, message: "must be a JSON Schema (an object or a boolean)" };
  if (depth > MAX_DEPTH) return { path, message: `nests schemas deeper than ${MAX_DEPTH} levels` };
  const at = (key: string | number, ...rest: (string | number)[]) => [...path, key, ...rest];
  const s = schema;
  if ("type" in s) {
    const types = Array.isArray(s.type) ? s.type : [s.type];
    if (!types.length || !types.every((t) => typeof t === "string" && TYPES.has(t)))
      return { path: at("type"), message: `must be one of ${[...TYPES].join(", ")} (or a list of them)` };
  }
  if ("required" in s && !(Array.isArray(s.required) && s.required.every((r) => typeof r === "string")))
    return { path: at("required"), message: "must be a list of property names" };
  if ("enum" in s && !Array.isArray(s.enum)) return { path: at("enum"), message: "must be a list of values" };
  if ("$ref" in s && (typeof s.$ref !== "string" || !s.$ref.startsWith("#")))
    return { path: at("$ref"), message: "must be a reference within the schema (starting with #)" };
  for (const k of STRINGS) if (k in s && typeof s[k] !== "string") return { path: at(k), message: "must be a string" };
  for (const k of NUMBERS) if (k in s && typeof s[k] !== "number") return { path: at(k), message: "must be a number" };
  for (const k of NON_NEGATIVE)
    if (k in s && !(Number.isInteger(s[k]) && (s[k] as number) >= 0))
      return { path: at(k), message: "must be a non-negative integer" };
  for (const k of ONE) {
    if (!(k in s)) continue;
    const problem = schemaProblem(s[k], at(k), depth + 1);
    if (problem) return problem;
  }
  // `items` is one schema (2020-12) or, in older drafts, a list of them.
  if ("items" in s) {
    const items = s.items;
    const list = Array.isArray(items) ? items : [items];
    for (const [i, item] of list.entries()) {
      const problem = schemaProblem(item, Array.isArray(items) ? at("items", i) : at("items"), depth + 1);
      if (problem) return problem;
    }
  }
  for (const k of LIST) {
    if (!(k in s)) continue;
    const list = s[k];
    if (!Array.isArray(list) || !list.length) return { path: at(k), message: "must be a non-empty list of schemas" };
    for (const [i, item] of list.entries()) {
      const problem = schemaProblem(item, at(k, i), depth + 1);
      if (problem) return problem;
    }
  }
  for (const k of MAP) {
    if (!(k in s)) continue;
    const map = s[k];
    if (!isPlainObject(map)) return { path: at(k), message: "must map names to schemas" };
    for (const [name, item] of Object.entries(map)) {
      const problem = schemaProblem(item, at(k, name), depth + 1);
      if (problem) return problem;
    }
  }
  return undefined;
}
