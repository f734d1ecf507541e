import type { LlmToolSpec } from "../../providers/llm/types";
import type { AgentTool, ToolOutcome } from "../types";
import { elapsedMs, toolFailure } from "./outcome";

/**
 * The built-in tools: ending the call and transferring it. They do nothing themselves: their
 * outcome carries an action that the pipeline applies after the turn (so the model's last
 * sentence is still spoken before the caller is hung up on or transferred).
 */

export type EndCallTool = Extract<AgentTool, { type: "end_call" }>;
export type TransferTool = Extract<AgentTool, { type: "transfer" }>;

export const END_CALL = "end_call";
export const TRANSFER = "transfer";

/** E.164: a plus, a country code not starting with 0, at most 15 digits in all. */
const E164 = /^\+[1-9]\d{1,14}$/;

export function endCallSpec(tool: EndCallTool): LlmToolSpec {
  return {
    name: END_CALL,
    description:
      tool.description ??
      "End the phone call. Use it when the caller is done: they said goodbye, or have nothing more to ask " +
        "and everything they asked for is handled. Say your goodbye in the same reply; the call ends after it.",
    parameters: { type: "object", properties: {}, additionalProperties: false },
  };
}

/**
 * With a configured number, the model chooses only whether to transfer (any number it sends is
 * ignored); without one, it must name the number, which is checked as E.164.
 */
export function transferSpec(tool: TransferTool): LlmToolSpec {
  const base =
    tool.description ??
    "Transfer the caller to a person. Use it when the caller asks for a human, or when you cannot help " +
      "them. Tell the caller you are transferring them in the same reply.";
  if (tool.number) return { name: TRANSFER, description: base, parameters: { type: "object", properties: {} } };
  return {
    name: TRANSFER,
    description: base,
    parameters: {
      type: "object",
      properties: {
        number: {
          type: "string",
          pattern: E164.source,
          description: "The phone number to transfer to, in E.164 form (+ then country code and number).",
        },
      },
      required: ["number"],
      additionalProperties: false,
    },
  };
}

export function endCall(startedAt: number): ToolOutcome {
  return {
    ok: true,
    result: { status: "the call will end after this reply" },
    latencyMs: elapsedMs(startedAt),
    action: { type: "end_call" },
  };
}

/** `args` already checked against transferSpec's schema; the configured number wins over it. */
export function transfer(tool: TransferTool, args: Record<string, unknown>, startedAt: number): ToolOutcome {
  if (tool.number !== undefined && !E164.test(tool.number))
    return toolFailure("transfers are not configured correctly for this agent", elapsedMs(startedAt));
  const number = tool.number ?? (typeof args.number === "string" ? args.number : undefined);
  if (!number) return toolFailure("no number to transfer to: pass `number` in E.164 form", elapsedMs(startedAt));
  if (!E164.test(number))
    return toolFailure("invalid arguments: `number` must be in E.164 form, like +14155550123", elapsedMs(startedAt));
  return {
    ok: true,
    result: { status: "the caller will be transferred after this reply" },
    latencyMs: elapsedMs(startedAt),
    action: { type: "transfer", number },
  };
}
