/**
 * FlowIntentEngine: runs one turn of a conversation against a validated flow definition.
 *
 * Order of precedence for a turn, chosen so the caller's most explicit action wins:
 *  1. a keypad key (pressed, typed or spoken) mapped to an intent in the current state;
 *  2. keypad digits in a `collect` step (validated, masked when the step is secure);
 *  3. speech/text classified against the intents allowed in the current state;
 *  4. speech/text digits in a `collect` step (e.g. "four one one one ...");
 *  5. the fallback, which counts consecutive misses in the session context, repeats the
 *     state's prompt from `repromptAfter` misses on and escalates after `escalateAfter`.
 * The engine is stateless between calls: everything it needs is in ConversationState, and
 * everything it learns goes back out through IntentResult.contextUpdates.
 */
import type { Flow, FlowIntent, FlowState } from "./flow-schema";
import { intentsAllowedIn } from "./flow-scope";
import { collectedDigits, maskDigits, menuKey } from "./keypad";
import { IntentClassifier } from "./match";
import { COLLECT_INTENT, FALLBACK_INTENT, MISS_COUNTER_KEY } from "./reserved-names";
import { extractSlots } from "./slots";
import { fullMatch } from "./patterns";
import { renderTemplate } from "./template";
import type { ConversationState, IntentEngine, IntentInput, IntentResult } from "./types";

export const DEFAULT_THRESHOLD = 0.35;
/** A spoken "press one" is near-certain, but speech recognition can mishear a single word. */
const SPOKEN_KEY_CONFIDENCE = 0.9;
const DEFAULT_REPROMPT_AFTER = 1;
const DEFAULT_ESCALATE_AFTER = 2;

export interface FlowEngineOptions {
  /** Minimum confidence for a spoken or typed intent; below it the fallback runs. Default 0.35. */
  threshold?: number;
  /** Clock for relative dates ("tomorrow"); injectable so tests are deterministic. */
  now?: () => Date;
}

/** What a state allows: intent names to score and keypad keys to map. */
interface StateScope {
  names: ReadonlySet<string>;
  keys: ReadonlyMap<string, FlowIntent>;
}

/** Per-flow indexes, built once per flow object and shared by every engine on it. */
interface CompiledFlow {
  classifier: IntentClassifier;
  scopes: ReadonlyMap<string, StateScope>;
  intentsByName: ReadonlyMap<string, FlowIntent>;
}

// Sessions construct an engine per turn; the classifier index should not be rebuilt each time.
const compiledFlows = new WeakMap<Flow, CompiledFlow>();

function compile(flow: Flow): CompiledFlow {
  const cached = compiledFlows.get(flow);
  if (cached) return cached;
  const scopes = new Map<string, StateScope>();
  for (const stateName of Object.keys(flow.states)) {
    const allowed = intentsAllowedIn(flow, stateName);
    const keys = new Map<string, FlowIntent>();
    for (const intent of allowed) for (const key of intent.dtmf ?? []) if (!keys.has(key)) keys.set(key, intent);
    scopes.set(stateName, { names: new Set(allowed.map((i) => i.name)), keys });
  }
  const compiled: CompiledFlow = {
    classifier: new IntentClassifier(flow.intents),
    scopes,
    intentsByName: new Map(flow.intents.map((i) => [i.name, i])),
  };
  compiledFlows.set(flow, compiled);
  return compiled;
}

/** One turn's view of the conversation. */
interface Turn {
  stateName: string;
  state: FlowState;
  context: Record<string, unknown>;
  misses: number;
}

interface Outcome {
  intent: IntentResult["intent"];
  replyTemplate: string;
  nextState: string;
  contextUpdates: Record<string, unknown>;
  endCall: boolean;
  /** Repeat the current state's prompt even though the state does not change. */
  reprompt?: boolean;
}

function missCount(context: Record<string, unknown>): number {
  const raw = context[MISS_COUNTER_KEY];
  return typeof raw === "number" && Number.isInteger(raw) && raw > 0 ? raw : 0;
}

const joinSentences = (...parts: string[]): string => parts.filter((p) => p.length > 0).join(" ");

export class FlowIntentEngine implements IntentEngine {
  readonly name: string;
  readonly threshold: number;
  private readonly classifier: IntentClassifier;
  private readonly scopes: ReadonlyMap<string, StateScope>;
  private readonly intentsByName: ReadonlyMap<string, FlowIntent>;
  private readonly now: () => Date;

  constructor(
    readonly flow: Flow,
    options: FlowEngineOptions = {},
  ) {
    const threshold = options.threshold ?? DEFAULT_THRESHOLD;
    if (!(threshold >= 0 && threshold <= 1)) throw new RangeError(`threshold must be in [0, 1], got ${threshold}`);
    this.threshold = threshold;
    this.name = `flow:${flow.id}`;
    this.now = options.now ?? (() => new Date());
    const compiled = compile(flow);
    this.classifier = compiled.classifier;
    this.scopes = compiled.scopes;
    this.intentsByName = compiled.intentsByName;
  }

  greeting(state: ConversationState): { reply: string; nextState: string } {
    const context = { ...this.flow.contextDefaults, ...state.context };
    return { reply: this.render(this.flow.greeting, context, {}), nextState: this.flow.initialState };
  }

  async classify(input: IntentInput, state: ConversationState): Promise<IntentResult> {
    return this.classifyTurn(input, state);
  }

  /** Synchronous core of classify(); the interface is async so remote engines can share it. */
  classifyTurn(input: IntentInput, conversation: ConversationState): IntentResult {
    // A session may carry a state name from another flow; start that flow from its beginning.
    const stateName = Object.hasOwn(this.flow.states, conversation.state) ? conversation.state : this.flow.initialState;
    const turn: Turn = {
      stateName,
      state: this.flow.states[stateName] ?? {},
      context: { ...this.flow.contextDefaults, ...conversation.context },
      misses: missCount(conversation.context),
    };
    const scope = this.scopes.get(stateName) ?? { names: new Set<string>(), keys: new Map<string, FlowIntent>() };

    const key = menuKey(input);
    const keyed = key === undefined ? undefined : scope.keys.get(key);
    if (keyed) {
      return this.finish(turn, this.matched(turn, keyed, input.source === "dtmf" ? 1 : SPOKEN_KEY_CONFIDENCE));
    }
    const collect = turn.state.collect;
    if (input.source === "dtmf") {
      return this.finish(turn, collect ? this.collected(turn, collectedDigits(input)) : this.missed(turn, 0));
    }

    const typos = input.source === "text"; // only typed text has spelling mistakes
    const { intent, confidence } = this.classifier.classify(input.text, scope.names, { typos });
    const best = intent === undefined ? undefined : this.intentsByName.get(intent);
    if (best && confidence >= this.threshold)
      return this.finish(turn, this.matched(turn, best, confidence, input.text));

    const spokenDigits = collect ? collectedDigits(input) : undefined;
    if (spokenDigits !== undefined) return this.finish(turn, this.collected(turn, spokenDigits));
    return this.finish(turn, this.missed(turn, confidence));
  }

  /** An intent matched; slots come from the utterance (key presses carry none). */
  private matched(turn: Turn, intent: FlowIntent, confidence: number, utterance?: string): Outcome {
    const slots = utterance === undefined ? {} : extractSlots(intent.slots ?? [], utterance, this.now());
    const contextUpdates: Record<string, unknown> = { ...slots };
    if (turn.misses > 0) contextUpdates[MISS_COUNTER_KEY] = 0;
    return {
      intent: { name: intent.name, confidence, slots },
      replyTemplate: intent.reply,
      nextState: intent.nextState ?? turn.state.next ?? turn.stateName,
      contextUpdates,
      endCall: intent.endCall ?? false,
    };
  }

  /** Digits for a collect step: accepted (and masked if secure) or rejected as a miss. */
  private collected(turn: Turn, digits: string | undefined): Outcome {
    const collect = turn.state.collect;
    if (!collect) return this.missed(turn, 0);
    const { min, max } = collect.digits ?? { min: 1, max: 64 };
    const valid =
      digits !== undefined &&
      /^\d+$/.test(digits) &&
      digits.length >= min &&
      digits.length <= max &&
      (collect.pattern === undefined || fullMatch(collect.pattern, digits));
    if (!valid) return this.missed(turn, 0, { reply: collect.retryReply });

    const value = turn.state.secure ? maskDigits(digits) : digits;
    const contextUpdates: Record<string, unknown> = { [collect.slot]: value };
    if (turn.misses > 0) contextUpdates[MISS_COUNTER_KEY] = 0;
    return {
      intent: { name: COLLECT_INTENT, confidence: 1, slots: { [collect.slot]: value } },
      replyTemplate: collect.reply ?? "",
      nextState: turn.state.next ?? turn.stateName,
      contextUpdates,
      endCall: false,
    };
  }

  /**
   * Nothing usable was heard. The miss is counted; enough consecutive misses escalate to the
   * flow's escalation intent (reported with the low confidence that caused it, so analytics can
   * tell an escalation from a caller who asked for an agent). `retry` marks a rejected collect
   * entry, which always repeats the prompt: the caller has to know what to enter.
   */
  private missed(turn: Turn, confidence: number, retry?: { reply: string | undefined }): Outcome {
    const misses = turn.misses + 1;
    const fallback = this.flow.fallback;
    const escalateTo =
      fallback.escalateIntent === undefined ? undefined : this.intentsByName.get(fallback.escalateIntent);
    if (escalateTo && misses >= (fallback.escalateAfter ?? DEFAULT_ESCALATE_AFTER)) {
      const outcome = this.matched({ ...turn, misses }, escalateTo, confidence);
      return { ...outcome, contextUpdates: { ...outcome.contextUpdates, [MISS_COUNTER_KEY]: 0 } };
    }
    return {
      intent: { name: FALLBACK_INTENT, confidence, slots: {} },
      replyTemplate: retry?.reply ?? fallback.reply,
      nextState: turn.stateName,
      contextUpdates: { [MISS_COUNTER_KEY]: misses },
      endCall: false,
      reprompt: retry !== undefined || misses >= (fallback.repromptAfter ?? DEFAULT_REPROMPT_AFTER),
    };
  }

  /** Renders the reply, appends the prompt of the state being entered, and flags secure steps. */
  private finish(turn: Turn, outcome: Outcome): IntentResult {
    const context = { ...turn.context, ...outcome.contextUpdates };
    const slots = outcome.intent.slots;
    const next = this.flow.states[outcome.nextState];
    const entering = outcome.nextState !== turn.stateName || outcome.reprompt === true;
    const prompt = entering && !outcome.endCall && next?.prompt ? this.render(next.prompt, context, slots) : "";
    return {
      intent: outcome.intent,
      reply: joinSentences(this.render(outcome.replyTemplate, context, slots), prompt),
      nextState: outcome.nextState,
      contextUpdates: outcome.contextUpdates,
      endCall: outcome.endCall,
      // The input was taken in a secure step: whatever it was (digits, or "agent" said over
      // them), the session must not store or echo it.
      secure: turn.state.secure === true,
    };
  }

  private render(template: string, context: Record<string, unknown>, slots: Record<string, string>): string {
    return renderTemplate(template, { context, slots, flow: { id: this.flow.id, name: this.flow.name } });
  }
}
