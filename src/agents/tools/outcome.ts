import type { ToolOutcome } from "../types";

/** The contract's limit on a webhook tool's answer; MCP results are held to it too. */
export const MAX_TOOL_ANSWER_BYTES = 16 * 1024;

/** A failed tool call as the model sees it: `{ error }`, short, with no secret and no stack. */
export function toolFailure(error: string, latencyMs: number): ToolOutcome {
  return { ok: false, result: { error }, latencyMs };
}

/** Milliseconds since `startedAt` (Date.now()), never negative. */
export function elapsedMs(startedAt: number): number {
  return Math.max(0, Date.now() - startedAt);
}
