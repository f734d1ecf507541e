/**
 * The JSON flow definition that drives FlowIntentEngine, and its validation.
 *
 * Flows are authored by people, not code, so every object is strict (a typo such as
 * "nextstate" is an error, not a silently ignored key) and cross-references are checked
 * (see flow-references.ts) so a broken flow fails at load time with readable messages
 * instead of mid-call.
 */
import type { z } from "zod";
import { checkFlowReferences } from "./flow-references";
import { FlowObject, type FlowIntent } from "./flow-shape";

export const FlowSchema = FlowObject.superRefine(checkFlowReferences);

export type Flow = z.infer<typeof FlowSchema>;
export type { FlowIntent };
export type FlowState = Flow["states"][string];
export type FlowSlot = NonNullable<FlowIntent["slots"]>[number];

/** A flow definition that failed validation; `issues` holds one readable line per problem. */
export class FlowError extends Error {
  override readonly name = "FlowError";
  constructor(
    readonly flowId: string | undefined,
    readonly issues: readonly string[],
  ) {
    super(`Invalid flow${flowId ? ` "${flowId}"` : ""}:\n${issues.map((i) => `  - ${i}`).join("\n")}`);
  }
}

/** "intents[2].dtmf[0]" from zod's ["intents", 2, "dtmf", 0]. */
function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out === "" ? "(flow)" : out;
}

/** Validates a flow definition (e.g. parsed JSON); throws FlowError listing every problem. */
export function parseFlow(json: unknown): Flow {
  const result = FlowSchema.safeParse(json);
  if (result.success) return result.data;
  const id =
    json !== null && typeof json === "object" && typeof (json as { id?: unknown }).id === "string"
      ? (json as { id: string }).id
      : undefined;
  throw new FlowError(
    id,
    result.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`),
  );
}
