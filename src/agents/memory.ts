import type { HistoryEntry } from "../call/records";
import type { LlmMessage } from "../providers/llm/types";

/**
 * What an agent's model is told each turn: its instructions, the call's context, the call so far
 * and what the caller just said, within a token budget.
 *
 * Turns beyond the budget are dropped, oldest first, and the model is told how many were left
 * out. Summarising them instead would cost a second model call, with its latency and tokens, on
 * the turn that crosses the budget, and a summary can invent what was never said; a voice call
 * rarely outgrows a few thousand tokens, and the call's context (which the client can keep up to
 * date with PATCH) carries the facts that must survive. Tokens are estimated at 4 characters each,
 * the usual figure for English with the providers' tokenizers; the budget is a bound, not a bill.
 *
 * Everything here is already redacted: history is stored masked, the caller's text is masked by
 * the pipeline before it gets here, and the context is masked by the caller of this function.
 */

const CHARS_PER_TOKEN = 4;

export function estimateTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

export interface MemoryInput {
  instructions: string;
  context: Record<string, unknown>;
  history: readonly HistoryEntry[];
  userText: string;
  budgetTokens: number;
}

export function conversationMessages(input: MemoryInput): LlmMessage[] {
  const earlier = input.history.filter((e) => e.text.trim() !== "");
  let budget = input.budgetTokens;
  let kept = 0;
  for (let i = earlier.length - 1; i >= 0; i--) {
    const cost = estimateTokens(earlier[i]!.text) + 4; // role and separators
    if (cost > budget) break;
    budget -= cost;
    kept++;
  }
  const dropped = earlier.length - kept;
  const system = [
    input.instructions,
    "You are speaking with a caller on a voice call: answer in short, plain sentences that read well aloud " +
      "(no markdown, lists or emoji).",
    Object.keys(input.context).length ? `Call context (JSON): ${JSON.stringify(input.context)}` : "",
    dropped ? `(${dropped} earlier messages of this call are not shown.)` : "",
  ]
    .filter(Boolean)
    .join("\n\n");
  return [
    { role: "system", content: system },
    ...earlier.slice(dropped).map((e): LlmMessage => ({ role: e.role, content: e.text })),
    { role: "user", content: input.userText },
  ];
}
