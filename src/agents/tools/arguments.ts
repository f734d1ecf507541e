import { Validator, type OutputUnit, type Schema, type SchemaDraft } from "@cfworker/json-schema";

/**
 * A model's tool arguments: JSON text, parsed and checked against the tool's JSON Schema before
 * anything is sent anywhere. A problem is told to the model (so it can correct itself and call
 * again), never thrown.
 *
 * @cfworker/json-schema interprets schemas instead of compiling them to code (Ajv uses new
 * Function, which Workers forbid). A validator is built on first use and kept by its caller, the
 * toolbox of one call: nothing here is shared between calls.
 */

export type CheckedArguments = { ok: true; args: Record<string, unknown> } | { ok: false; error: string };

/** Checks one call's argument text; built once per tool per call (see argumentChecker). */
export type ArgumentChecker = (text: string) => CheckedArguments;

/** At most this many schema errors are listed for the model: enough to fix, short enough to read. */
const MAX_ERRORS = 5;

/**
 * Errors that only say "a child failed": the child's own error, listed too, says what. Kept for
 * additionalProperties (it names the property), whose child is a bare "False boolean schema".
 */
const WRAPPERS = new Set(["properties", "patternProperties", "items", "prefixItems", "allOf", "$ref", "false"]);

/** The draft a schema declares in `$schema`; 2020-12 when it declares none (as MCP does). */
export function schemaDraft(schema: Record<string, unknown>): SchemaDraft {
  const declared = typeof schema.$schema === "string" ? schema.$schema : "";
  if (declared.includes("draft-04")) return "4";
  if (declared.includes("draft-07") || declared.includes("draft-06")) return "7";
  if (declared.includes("2019-09")) return "2019-09";
  return "2020-12";
}

/** A checker for `schema`, compiled on its first use (a tool the model never calls costs nothing). */
export function argumentChecker(schema: Record<string, unknown>): ArgumentChecker {
  let validator: Validator | undefined;
  return (text) => {
    const parsed = parseArguments(text);
    if (!parsed.ok) return parsed;
    try {
      validator ??= new Validator(schema as Schema, schemaDraft(schema), false);
      const result = validator.validate(parsed.args);
      if (result.valid) return parsed;
      return { ok: false, error: `invalid arguments: ${describe(result.errors)}` };
    } catch {
      // A schema the validator cannot use (an unresolvable $ref, say): refusing is safer than
      // sending unchecked arguments; the model is told it is the tool, not its arguments.
      return { ok: false, error: "this tool's parameter schema cannot be used; do not call it again" };
    }
  };
}

/** The argument text as a JSON object. Empty text is no arguments (some models send "" for none). */
export function parseArguments(text: string): CheckedArguments {
  if (text.trim() === "") return { ok: true, args: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, error: "invalid arguments: not valid JSON; send a JSON object" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return { ok: false, error: "invalid arguments: must be a JSON object" };
  return { ok: true, args: value as Record<string, unknown> };
}

function describe(errors: readonly OutputUnit[]): string {
  const leaves = errors.filter((e) => !WRAPPERS.has(e.keyword));
  const shown = (leaves.length > 0 ? leaves : errors).slice(0, MAX_ERRORS);
  return shown.map((e) => `${e.instanceLocation.replace(/^#/, "arguments")}: ${e.error}`).join(" ");
}
