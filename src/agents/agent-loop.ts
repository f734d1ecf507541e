import type { AttemptRecord } from "../call/attempts";
import type { LlmEvent, LlmMessage, LlmRequest, LlmToolCall, LlmUsage } from "../providers/llm/types";
import type { Toolbox, ToolOutcome } from "./types";

/**
 * One caller turn of an agent: the model answers, calling tools as it goes, for at most
 * `maxToolRounds` rounds of tool calls; then it is asked once more with no tools, so every turn
 * ends in words for the caller. Text is handed to `onText` as it arrives (the pipeline speaks it
 * sentence by sentence while the model writes on); tool calls run when the round that asked for
 * them is complete, in parallel, and each result goes back to the model. A tool that fails or
 * times out is reported to the model as an error; it never fails the turn.
 *
 * The model's failure is handled here too: nothing written yet and no model answers → the turn
 * is `unavailable` (the pipeline speaks the agent's fallback line); a stream cut after words were
 * written → `incomplete` (what was written stands). Barge-in aborts `signal`: the loop stops at
 * once and reports what was written until then.
 */

/** A started model stream (routing/llm-stream.ts: failover, retries, first-token deadline). */
export interface OpenedStream {
  model: { name: string; region: string };
  events: AsyncIterator<LlmEvent>;
  attempts: readonly AttemptRecord[];
  /** Time to the first event, ms (retries and failover included). */
  firstEventMs?: number | undefined;
}

export type OpenModelStream = (request: LlmRequest, signal: AbortSignal) => Promise<OpenedStream>;

export interface ToolCallRecord {
  name: string;
  arguments: unknown;
  ok: boolean;
  latencyMs: number;
}

export interface AgentTurnInput {
  messages: LlmMessage[];
  settings: Pick<LlmRequest, "model" | "temperature" | "maxOutputTokens">;
  toolbox: Toolbox;
  maxToolRounds: number;
  open: OpenModelStream;
  signal: AbortSignal;
  onText(delta: string): void;
  onToolCall(record: ToolCallRecord): void;
  /** Cleans what leaves for a tool or comes back to the model (redaction); identity when absent. */
  mask?: ((value: unknown) => unknown) | undefined;
  /**
   * Awaited before the first tool runs; a rejection ends the turn as `aborted` with no tool run. An
   * eager turn (the caller may not be done) lets the model write but holds its tools here until the
   * end of turn is confirmed, since a tool can act on the world and a model's words can be dropped.
   */
  beforeTools?: (() => Promise<void>) | undefined;
}

export interface AgentTurn {
  text: string;
  toolCalls: ToolCallRecord[];
  actions: NonNullable<ToolOutcome["action"]>[];
  usage: LlmUsage;
  /** The model that wrote the reply (the last round's). */
  model?: { name: string; region: string } | undefined;
  /** Time to the first event of the first round, ms. */
  firstTokenMs?: number | undefined;
  attempts: AttemptRecord[];
  /** Why the reply is not the model's whole answer: none answered, it broke off, or the caller cut in. */
  outcome: "complete" | "unavailable" | "incomplete" | "aborted";
  /** The error that ended the model's answer, for the log (unavailable, incomplete). */
  error?: unknown;
}

export async function runAgentTurn(input: AgentTurnInput): Promise<AgentTurn> {
  const mask = input.mask ?? ((v: unknown) => v);
  const messages = [...input.messages];
  const turn: AgentTurn = {
    text: "",
    toolCalls: [],
    actions: [],
    usage: { inputTokens: 0, outputTokens: 0 },
    attempts: [],
    outcome: "complete",
  };
  for (let round = 0; round <= input.maxToolRounds; round++) {
    const tools = round < input.maxToolRounds ? input.toolbox.specs : [];
    const request: LlmRequest = { ...input.settings, messages, tools };
    const answer = await oneRound(input, request, turn);
    if (answer.stop) return turn;
    if (answer.calls.length === 0) return turn;
    messages.push({ role: "assistant", content: answer.text, toolCalls: answer.calls });
    if (!(await mayRunTools(input))) return { ...turn, outcome: "aborted" };
    const outcomes = await Promise.all(answer.calls.map((call) => runTool(input, call, mask)));
    answer.calls.forEach((call, i) => {
      const outcome = outcomes[i]!;
      const record = {
        name: call.name,
        arguments: mask(parseLoose(call.arguments)),
        ok: outcome.ok,
        latencyMs: outcome.latencyMs,
      };
      turn.toolCalls.push(record);
      input.onToolCall(record);
      if (outcome.action) turn.actions.push(outcome.action);
      messages.push({
        role: "tool",
        toolCallId: call.id,
        name: call.name,
        content: JSON.stringify(mask(outcome.result)),
      });
    });
    if (input.signal.aborted) return { ...turn, outcome: "aborted" };
    // Hanging up or transferring ends the model's part: whatever it said with the call is the reply.
    if (turn.actions.length) return turn;
  }
  return turn;
}

/** One model answer: its text streamed out, its tool calls collected. */
async function oneRound(
  input: AgentTurnInput,
  request: LlmRequest,
  turn: AgentTurn,
): Promise<{ text: string; calls: LlmToolCall[]; stop: boolean }> {
  let opened: OpenedStream;
  try {
    opened = await input.open(request, input.signal);
  } catch (err) {
    if (input.signal.aborted) turn.outcome = "aborted";
    else {
      turn.outcome = turn.text ? "incomplete" : "unavailable";
      turn.error = err;
    }
    collectAttempts(turn, err);
    return { text: "", calls: [], stop: true };
  }
  turn.attempts.push(...opened.attempts);
  turn.model = opened.model;
  turn.firstTokenMs ??= opened.firstEventMs;
  let text = "";
  const calls: LlmToolCall[] = [];
  try {
    for (let next = await opened.events.next(); !next.done; next = await opened.events.next()) {
      const event = next.value;
      if (input.signal.aborted) {
        turn.outcome = "aborted";
        await opened.events.return?.();
        return { text, calls, stop: true };
      }
      if (event.type === "text") {
        text += event.text;
        turn.text += event.text;
        input.onText(event.text);
      } else if (event.type === "tool_call") calls.push(event.call);
      else if (event.usage) {
        turn.usage.inputTokens += event.usage.inputTokens;
        turn.usage.outputTokens += event.usage.outputTokens;
      }
    }
  } catch (err) {
    turn.outcome = input.signal.aborted ? "aborted" : turn.text ? "incomplete" : "unavailable";
    if (!input.signal.aborted) turn.error = err;
    return { text, calls: [], stop: true };
  }
  return { text, calls, stop: false };
}

async function mayRunTools(input: AgentTurnInput): Promise<boolean> {
  try {
    await input.beforeTools?.();
  } catch {
    return false;
  }
  return !input.signal.aborted;
}

async function runTool(input: AgentTurnInput, call: LlmToolCall, mask: (v: unknown) => unknown): Promise<ToolOutcome> {
  // The model never saw a card number, but its arguments are masked again before they leave.
  const masked = mask(parseLoose(call.arguments));
  const args = typeof masked === "string" ? masked : JSON.stringify(masked);
  return input.toolbox.call({ ...call, arguments: args }, input.signal);
}

/** Arguments as JSON when they parse, else the text itself (the toolbox reports the error to the model). */
function parseLoose(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function collectAttempts(turn: AgentTurn, err: unknown): void {
  const attempts = (err as { attempts?: unknown } | null)?.attempts;
  if (Array.isArray(attempts)) turn.attempts.push(...(attempts as AttemptRecord[]));
}
