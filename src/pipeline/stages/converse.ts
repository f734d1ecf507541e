import type { SessionRecord } from "../../call/records";
import { runAgentTurn, type AgentTurn, type ToolCallRecord } from "../../agents/agent-loop";
import { conversationMessages } from "../../agents/memory";
import type { PinnedAgent } from "../../agents/types";
import { SentenceStream } from "../../nlp/sentence-stream";
import { log } from "../../observability/log";
import { inSpan } from "../../observability/tracing";
import { maskStrings, redactTurn, type TurnRedaction } from "../../security/redaction";
import type { CallRuntime } from "../call-runtime";
import type { ReplyChannel } from "../types";
import { agentToolbox, modelOpener } from "./agent-model";
import type { Recognized } from "./recognize";
import type { SentenceSpeaker } from "./speak";

/**
 * The understanding stage of an agent's call: the agent's model answers the caller, calling its
 * tools (src/agents/agent-loop.ts). What the caller said is redacted before it leaves for the
 * model; the model's reply is cut into sentences as it is written, each redacted and then spoken
 * at once on a live stream (reply_delta, then its audio) while the model writes the next. A
 * barge-in aborts the model's stream and the synthesis; what was spoken is what the history keeps.
 * No model answering: the agent's fallback line, `degraded: "llm_unavailable"`.
 */

/** The agent's line when no model answers and it defined none. */
export const DEFAULT_FALLBACK =
  "Sorry, I can't answer that right now. Please try again in a moment, or call back later.";

export interface Conversed {
  /** What the caller said, masked: what the model saw, and what is stored. */
  heardText: string;
  /** The reply, sentence by sentence as redacted and spoken (or to be spoken). */
  replyText: string;
  redaction: TurnRedaction;
  toolCalls: ToolCallRecord[];
  endCall: boolean;
  transfer?: { number?: string | undefined } | undefined;
  degraded?: "llm_unavailable" | "llm_incomplete" | undefined;
  llm: Pick<AgentTurn, "usage" | "model" | "firstTokenMs" | "attempts">;
}

/** A live turn's reply path: the channel it reports to, and the speaker that says each sentence. */
export interface LiveReply {
  channel: ReplyChannel;
  speaker: SentenceSpeaker;
}

export function converseStage(
  call: CallRuntime,
  session: SessionRecord,
  agent: PinnedAgent,
  heard: Recognized,
  turn: { turnId: string },
  live?: LiveReply,
): Promise<Conversed> {
  const attributes = { "voice.stage": "llm", "voice.agent": agent.agentId, "voice.agent_version": agent.version };
  return inSpan("llm", attributes, async (span) => {
    const config = call.config;
    const redactOptions = { payment: false, patterns: config.REDACT_PATTERNS, maxPatternChars: config.MAX_TEXT_CHARS };
    const redaction = redactTurn(heard.text, redactOptions);
    const heardText = redaction.text;
    live?.channel.progress(turn.turnId, { type: "transcript", text: heardText, source: heard.source });

    const mask = (value: unknown): unknown => maskStrings(value, (text) => redactTurn(text, redactOptions).text);
    const spoken: string[] = [];
    const say = (sentence: string) => {
      const clean = redactTurn(sentence, redactOptions).text;
      spoken.push(clean);
      live?.channel.progress(turn.turnId, { type: "reply_delta", text: clean });
      live?.speaker.say(clean);
    };
    const sentences = new SentenceStream();
    // A barge-in aborts the model's stream and the tools in flight at once.
    const signal = live?.channel.interruption(turn.turnId) ?? new AbortController().signal;
    const definition = agent.definition;
    const outcome = await runAgentTurn({
      messages: conversationMessages({
        instructions: definition.instructions ?? "",
        context: mask(session.context) as Record<string, unknown>,
        history: call.store.history(),
        userText: heardText,
        budgetTokens: config.AGENT_HISTORY_TOKENS,
      }),
      settings: {
        model: definition.llm?.model,
        temperature: definition.llm?.temperature,
        maxOutputTokens: definition.llm?.maxOutputTokens,
      },
      toolbox: await agentToolbox(call, session, agent),
      maxToolRounds: definition.maxToolCallsPerTurn,
      open: modelOpener(call, session, agent),
      signal,
      onText: (delta) => sentences.push(delta).forEach(say),
      onToolCall: (record) => live?.channel.progress(turn.turnId, { type: "tool_call", ...record }),
      mask,
      // An eager turn's tools wait for the end of turn to be confirmed (held-reply.ts).
      beforeTools: live?.channel.confirmed && (() => live.channel.confirmed!(turn.turnId)),
    });
    sentences.end().forEach(say);
    const unavailable = outcome.outcome === "unavailable";
    if (unavailable) {
      log("llm_unavailable", { agentId: agent.agentId, message: errorText(outcome.error) }, "warn");
      say(definition.fallback ?? DEFAULT_FALLBACK);
    }
    const transfer = outcome.actions.find((a) => a.type === "transfer");
    if (transfer && live) live.channel.progress(turn.turnId, { type: "transfer", number: transfer.number });
    const degraded = unavailable ? "llm_unavailable" : outcome.outcome === "incomplete" ? "llm_incomplete" : undefined;
    span?.setAttributes({
      "voice.llm.provider": outcome.model?.name ?? "",
      "voice.llm.tool_calls": outcome.toolCalls.length,
      "voice.llm.tokens_in": outcome.usage.inputTokens,
      "voice.llm.tokens_out": outcome.usage.outputTokens,
      ...(degraded ? { "voice.degraded": degraded } : {}),
    });
    return {
      heardText,
      replyText: spoken.join(" "),
      redaction,
      toolCalls: outcome.toolCalls,
      endCall: outcome.actions.some((a) => a.type === "end_call"),
      ...(transfer ? { transfer: { number: transfer.number } } : {}),
      ...(degraded ? { degraded } : {}),
      llm: outcome,
    };
  });
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
