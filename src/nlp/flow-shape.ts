/**
 * The JSON flow definition that drives FlowIntentEngine, field by field: what each object may
 * hold. Cross-references between its parts are checked by flow-references.ts, and flow-schema.ts
 * puts the two together.
 */
import { z } from "zod";

/** Intent and slot names: used as context keys and template paths, so keep them identifier-like. */
const Identifier = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_]*$/, "must start with a letter and contain only letters, digits and _");

const StateName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_-]*$/, "must start with a letter and contain only letters, digits, _ and -");

/** A reply or prompt; see template.ts for the {{path|default}} syntax. */
const Template = z.string().trim().min(1).max(2000);

const DtmfKey = z.string().regex(/^[0-9*#]{1,8}$/, "keypad keys use only 0-9, * and #");

export const SlotSchema = z.strictObject({
  name: Identifier,
  type: z.enum(["number", "digits", "date", "money", "enum", "regex"]),
  /** enum: the accepted values (matched after normalisation and stemming). */
  values: z.array(z.string().trim().min(1)).min(1).optional(),
  /** regex: searched in the utterance. Other types: the extracted value must fully match it. */
  pattern: z.string().min(1).optional(),
});

export const CollectSchema = z.strictObject({
  /** Context key the collected digits are stored under (masked when the state is secure). */
  slot: Identifier,
  digits: z.strictObject({ min: z.int().min(1).max(64), max: z.int().min(1).max(64) }).optional(),
  /** Must match the whole digit string, e.g. "(0[1-9]|1[0-2])[0-9]{2}" for MMYY. */
  pattern: z.string().min(1).optional(),
  /** Key that ends entry; stripped before validation. */
  terminator: z.literal("#").optional(),
  /** Spoken once the digits are accepted (before the next state's prompt). */
  reply: Template.optional(),
  /** Spoken when the digits are rejected (before this state's prompt); default: fallback.reply. */
  retryReply: Template.optional(),
});

export const StateSchema = z.strictObject({
  /** Spoken when the conversation enters this state (and on reprompt). */
  prompt: Template.optional(),
  /** Intents that may match here; default "*" (all intents not restricted by their own `states`). */
  intents: z.union([z.literal("*"), z.array(Identifier)]).optional(),
  /** The step collects sensitive keypad digits: never echo or store them. */
  secure: z.boolean().optional(),
  collect: CollectSchema.optional(),
  /** Where to go after this step: once `collect` succeeds, or after an intent without nextState. */
  next: StateName.optional(),
});

export const IntentSchema = z.strictObject({
  name: Identifier,
  /** Example utterances; the classifier scores similarity against each of them. */
  examples: z.array(z.string().trim().min(1)).default([]),
  /** Words or phrases that are strong evidence; multi-word phrases weigh more. */
  keywords: z.array(z.string().trim().min(1)).default([]),
  /** Keypad entries that select this intent, e.g. ["1"]. */
  dtmf: z.array(DtmfKey).optional(),
  slots: z.array(SlotSchema).optional(),
  reply: Template,
  nextState: StateName.optional(),
  endCall: z.boolean().optional(),
  /** Restricts the intent to these states (default: every state that allows it). */
  states: z.array(StateName).min(1).optional(),
});

export const FallbackSchema = z.strictObject({
  /** Spoken when nothing matched with enough confidence. */
  reply: Template,
  /** From this many consecutive misses on, the current state's prompt is repeated after the reply (default 1). */
  repromptAfter: z.int().min(1).optional(),
  /** Intent to run instead of the fallback once `escalateAfter` consecutive misses are reached. */
  escalateIntent: Identifier.optional(),
  /** Consecutive misses that trigger escalation (default 2). */
  escalateAfter: z.int().min(1).optional(),
});

export const FlowObject = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, "must be lowercase letters, digits and -"),
  name: z.string().trim().min(1),
  language: z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, "must be a BCP 47 tag such as en-US"),
  initialState: StateName,
  /** Spoken when a call starts in this flow. */
  greeting: Template,
  /** Context values templates see when the session has not set them (e.g. company name). */
  contextDefaults: z.record(z.string(), z.unknown()).default({}),
  states: z.record(StateName, StateSchema),
  intents: z.array(IntentSchema).min(1),
  fallback: FallbackSchema,
});

/** Shape of a flow before cross-reference checks; the same type as Flow. */
export type FlowShape = z.output<typeof FlowObject>;

/** An intent of a flow. */
export type FlowIntent = FlowShape["intents"][number];
