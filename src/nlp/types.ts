/** The intent engine interface: text (or keypad digits) in, intent + reply + next state out. */

export interface IntentInput {
  /** What the caller said or typed; for keypad turns, the digits. */
  text: string;
  source: "text" | "dtmf" | "speech";
}

export interface ConversationState {
  /** Current flow state name, e.g. "start". */
  state: string;
  /** Session context (free JSON set by the client and by slots the engine filled). */
  context: Record<string, unknown>;
}

export interface IntentResult {
  intent: { name: string; confidence: number; slots: Record<string, string> };
  reply: string;
  nextState: string;
  /** Slot values and other keys to merge into the session context. */
  contextUpdates: Record<string, unknown>;
  /** True when the flow says the conversation is over (e.g. goodbye). */
  endCall: boolean;
  /** True when this step collects sensitive digits (never stored or echoed). */
  secure?: boolean;
}

export interface IntentEngine {
  readonly name: string;
  /** Greeting spoken when a call starts in this flow. */
  greeting(state: ConversationState): { reply: string; nextState: string };
  classify(input: IntentInput, state: ConversationState): Promise<IntentResult>;
}
