import { untilAborted } from "../../lib/abortable";
import { webhookHeaders } from "../../security/webhook-signature";
import { toolUrlProblem } from "../tool-url";
import type { AgentTool, ToolCallContext, ToolOutcome } from "../types";
import { BodyTooLargeError, readBounded } from "./bounded-body";
import { elapsedMs, MAX_TOOL_ANSWER_BYTES, toolFailure } from "./outcome";

/**
 * A webhook tool (the contract's "Agents" section): the model's checked arguments are POSTed as
 * JSON `{ callId, agentId, toolCallId, tool, arguments }`, signed with the agent's secret in the
 * Standard Webhooks headers, and a 2xx JSON answer of at most 16 KiB is the result. Anything else
 * (another status, a redirect, a body that is not JSON or is too large, a timeout, a network
 * error) is a short error for the model: never the secret, the URL's credentials or a stack.
 */

export type WebhookTool = Extract<AgentTool, { type: "webhook" }>;

export const DEFAULT_TOOL_TIMEOUT_MS = 5_000;
export const MAX_TOOL_TIMEOUT_MS = 10_000;

/** An error whose message is already fit for the model. */
class ToolAnswerError extends Error {
  override readonly name = "ToolAnswerError";
}

/** The tool's timeout: its own (the definition allows up to 10 s), else 5 s. */
export function webhookTimeoutMs(tool: WebhookTool): number {
  const ms = tool.timeoutMs;
  if (ms === undefined || !Number.isFinite(ms) || ms <= 0) return DEFAULT_TOOL_TIMEOUT_MS;
  return Math.min(Math.ceil(ms), MAX_TOOL_TIMEOUT_MS);
}

/** Calls one webhook tool with arguments already checked against its schema. Never throws. */
export async function callWebhookTool(
  tool: WebhookTool,
  toolCallId: string,
  args: Record<string, unknown>,
  ctx: ToolCallContext,
  signal: AbortSignal,
): Promise<ToolOutcome> {
  const startedAt = Date.now();
  // Checked when the agent was saved; checked again here in case the rule or the setting changed
  // since (a pinned version keeps its tools for the whole call).
  const problem = toolUrlProblem(tool.url, ctx.allowPrivateUrls);
  if (problem) return toolFailure(`this tool's URL is not allowed (${problem})`, elapsedMs(startedAt));
  const timeoutMs = webhookTimeoutMs(tool);
  const timeout = AbortSignal.timeout(timeoutMs);
  const combined = AbortSignal.any([signal, timeout]);
  try {
    // untilAborted as well as the fetch signal: an injected or misbehaving fetch whose body never
    // ends must not hold the turn past the timeout.
    const result = await untilAborted(exchange(tool, toolCallId, args, ctx, combined), combined);
    return { ok: true, result, latencyMs: elapsedMs(startedAt) };
  } catch (err) {
    return toolFailure(failureMessage(err, timeout, signal, timeoutMs), elapsedMs(startedAt));
  }
}

async function exchange(
  tool: WebhookTool,
  toolCallId: string,
  args: Record<string, unknown>,
  ctx: ToolCallContext,
  signal: AbortSignal,
): Promise<unknown> {
  const body = JSON.stringify({
    callId: ctx.callId,
    agentId: ctx.agentId,
    toolCallId,
    tool: tool.name,
    arguments: args,
  });
  // A new message id per attempt: receivers deduplicate on it, and each attempt is signed afresh.
  const signed = await webhookHeaders(
    ctx.webhookSecret,
    `msg_${crypto.randomUUID()}`,
    Math.floor(Date.now() / 1000),
    body,
  ).catch(() => {
    throw new ToolAnswerError("the tool call could not be signed");
  });
  const response = await (ctx.fetch ?? fetch)(tool.url, {
    method: "POST",
    headers: { ...signed, "content-type": "application/json", accept: "application/json" },
    body,
    // A redirect could lead anywhere, past the URL rule: it is an error, not followed.
    redirect: "manual",
    signal,
  });
  if (response.status === 0 || (response.status >= 300 && response.status < 400)) {
    await response.body?.cancel().catch(() => {});
    throw new ToolAnswerError(`the tool answered with a redirect (HTTP ${response.status}), which is not followed`);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    throw new ToolAnswerError(`the tool answered HTTP ${response.status}`);
  }
  const bytes = await readBounded(response, MAX_TOOL_ANSWER_BYTES);
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes)) as unknown;
  } catch {
    throw new ToolAnswerError("the tool's answer is not JSON");
  }
}

function failureMessage(err: unknown, timeout: AbortSignal, turn: AbortSignal, timeoutMs: number): string {
  if (err instanceof ToolAnswerError) return err.message;
  if (err instanceof BodyTooLargeError) return `the tool's answer is larger than ${MAX_TOOL_ANSWER_BYTES / 1024} KiB`;
  if (timeout.aborted) return `the tool did not answer within ${timeoutMs} ms`;
  if (turn.aborted) return "the tool call was cancelled";
  // A network error's message may name hosts or addresses; the model needs only the fact.
  return "the tool could not be reached";
}
