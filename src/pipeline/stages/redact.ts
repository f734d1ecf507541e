import type { Config } from "../../config/config";
import { redactTurn, type RedactionCounts } from "../../security/redaction";
import { isPaymentStep } from "../../security/card-spans";
import type { TurnResult } from "../types";
import type { Recognized } from "./recognize";
import type { Understood } from "./understand";

/** What a turn in a secure flow step (card numbers, PINs keyed in) stores and echoes of the digits. */
const REDACTED_KEYPAD = "[redacted keypad input]";

/**
 * The redaction stage. Cards, security codes (in a payment step or next to "cvv"...) and
 * REDACT_PATTERNS are masked in everything the turn stores, returns, speaks or logs (PCI DSS
 * 3.3.1). The understanding stage saw the raw text (an amount slot needs it); the slots, context
 * updates and reply derived from it are masked here, before anything leaves the turn.
 */
export interface Masked {
  /** What is stored and echoed of what the caller said. */
  heardText: string;
  replyText: string;
  /** Absent for an agent's turn. */
  intent: TurnResult["intent"];
  contextUpdates: Record<string, unknown>;
  /** What was masked, kinds and counts only (the turn's log line). */
  counts: RedactionCounts;
  /** Whether the caller's own audio may be kept: it would still hold what was masked. */
  keepCallerAudio: boolean;
}

export function redactStage(config: Config, state: string, heard: Recognized, understood: Understood): Masked {
  const { engine, decision, agent } = understood;
  // An agent's model saw only the masked text, and its reply was masked sentence by sentence.
  if (agent) {
    const { heardText, replyText, redaction } = agent;
    return {
      heardText,
      replyText: redaction.derived(replyText),
      intent: undefined,
      contextUpdates: {},
      counts: redaction.counts,
      keepCallerAudio: !redaction.redacted,
    };
  }
  const stateNow = engine && Object.hasOwn(engine.flow.states, state) ? engine.flow.states[state] : undefined;
  const redaction = redactTurn(heard.text, {
    payment: isPaymentStep(state, stateNow),
    patterns: config.REDACT_PATTERNS,
    maxPatternChars: config.MAX_TEXT_CHARS,
  });
  return {
    // Digits keyed in a secure step (card numbers, PINs) are neither stored nor echoed.
    heardText: decision.secure ? REDACTED_KEYPAD : redaction.text,
    replyText: redaction.derived(decision.reply),
    intent: { ...decision.intent, slots: redaction.derivedValues(decision.intent.slots) },
    contextUpdates: redaction.derivedValues(decision.contextUpdates),
    counts: decision.secure && heard.text ? { keypad: 1 } : redaction.counts,
    keepCallerAudio: !decision.secure && !redaction.redacted,
  };
}
