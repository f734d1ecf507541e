/**
 * The messages the server sends on the live stream (protocol.ts re-exports them): documented open,
 * so a client must ignore fields it does not know. Imports nothing but zod.
 */
import { z } from "zod";
import {
  bargeInMinSpeechMs,
  bargeInMinWords,
  dtmfDigit,
  endSilenceMs,
  minSpeechMs,
  streamFormatSchema,
  streamSampleRateSchema,
  thresholdDbfs,
} from "./fields";

const turnId = z.string().min(1).describe("Identifies the caller turn (same as in the call's history).");
const ms = z.number().nonnegative();

export const readyMessageSchema = z
  .object({
    type: z.literal("ready"),
    callId: z.string().min(1),
    format: streamFormatSchema,
    sampleRate: streamSampleRateSchema,
    vad: z.object({ thresholdDbfs, minSpeechMs, endSilenceMs }).describe("The effective settings, defaults filled in."),
    bargeIn: z
      .object({ minWords: bargeInMinWords, minSpeechMs: bargeInMinSpeechMs })
      .optional()
      .describe("The effective barge-in settings (they apply with streaming speech-to-text)."),
  })
  .describe("Answer to `start`: audio may flow from now on.");

export const speechStartedMessageSchema = z
  .object({
    type: z.literal("speech_started"),
    atMs: ms.describe("Start of the speech, ms of caller audio since `start`."),
  })
  .describe("The caller started speaking (a client playing a reply should stop it: barge-in).");

export const transcriptMessageSchema = z
  .object({
    type: z.literal("transcript"),
    turnId: turnId.optional(),
    text: z.string(),
    final: z.boolean().describe("false: an interim hypothesis that later transcripts replace."),
    source: z.enum(["speech", "dtmf", "text"]),
  })
  .describe("What the caller said, keyed or typed.");

export const dtmfEventMessageSchema = z
  .object({ type: z.literal("dtmf"), digit: z.string().regex(dtmfDigit) })
  .describe("One keypad key, as soon as its tone is detected in the caller's audio.");

export const intentMessageSchema = z
  .object({ type: z.literal("intent"), turnId, name: z.string(), confidence: z.number().min(0).max(1) })
  .describe("The intent recognised for a turn.");

export const replyMessageSchema = z
  .object({ type: z.literal("reply"), turnId, text: z.string() })
  .describe('The agent\'s reply text; its audio (reply: "audio") follows as binary frames.');

export const replyDoneMessageSchema = z
  .object({ type: z.literal("reply_done"), turnId })
  .describe("All of the reply's audio has been sent.");

export const interruptedMessageSchema = z
  .object({
    type: z.literal("interrupted"),
    turnId,
    spokenText: z.string().describe("The part of the reply actually played before the caller barged in."),
  })
  .describe("The caller spoke over the reply; its remaining audio is dropped.");

export const metricsMessageSchema = z
  .object({
    type: z.literal("metrics"),
    turnId,
    sttMs: ms.describe("Speech to text; 0 for typed and keypad turns."),
    nlpMs: ms,
    ttsMs: ms.describe("Synthesis of the whole reply; 0 when no audio was synthesised."),
    firstAudioMs: ms
      .nullable()
      .describe("From the end of the caller's turn to the first reply audio frame; null when no audio was sent."),
  })
  .describe("Latencies of one turn, in milliseconds.");

export const replyDeltaMessageSchema = z
  .object({ type: z.literal("reply_delta"), turnId, text: z.string() })
  .describe("A piece of an agent's reply as its model writes it; the whole text follows in `reply`.");

export const toolCallMessageSchema = z
  .object({
    type: z.literal("tool_call"),
    turnId,
    name: z.string(),
    arguments: z.unknown().describe("The arguments the model gave, redacted."),
    ok: z.boolean(),
    latencyMs: ms,
  })
  .describe("A tool an agent used during the turn, and whether it answered.");

export const transferMessageSchema = z
  .object({ type: z.literal("transfer"), turnId, number: z.string().optional() })
  .describe("An agent asked to transfer the caller (to `number`, when it named one); the client connects them.");

export const errorMessageSchema = z
  .object({
    type: z.literal("error"),
    status: z.int().min(400).max(599).describe("The HTTP status this error would have."),
    code: z.string().min(1).describe("Stable machine word, e.g. invalid_message."),
    title: z.string(),
    detail: z.string().describe("What went wrong and what to change, for a person."),
    retryAfterMs: z
      .int()
      .min(0)
      .optional()
      .describe("With `rate_limited`: how long to wait before sending again (the stream's Retry-After)."),
  })
  .describe("A problem (RFC 9457 fields). The stream stays open unless a close follows.");

export const endedMessageSchema = z
  .object({
    type: z.literal("ended"),
    reason: z.string().min(1).describe("e.g. stop, agent_hangup, idle_timeout, ended_elsewhere."),
  })
  .describe("The call is over; the server closes the socket next.");

export const serverMessageSchema = z.discriminatedUnion("type", [
  readyMessageSchema,
  speechStartedMessageSchema,
  transcriptMessageSchema,
  dtmfEventMessageSchema,
  intentMessageSchema,
  replyMessageSchema,
  replyDeltaMessageSchema,
  toolCallMessageSchema,
  transferMessageSchema,
  replyDoneMessageSchema,
  interruptedMessageSchema,
  metricsMessageSchema,
  errorMessageSchema,
  endedMessageSchema,
]);

export type ServerMessage = z.infer<typeof serverMessageSchema>;
export type ReadyMessage = z.infer<typeof readyMessageSchema>;
export type SpeechStartedMessage = z.infer<typeof speechStartedMessageSchema>;
export type TranscriptMessage = z.infer<typeof transcriptMessageSchema>;
export type DtmfEventMessage = z.infer<typeof dtmfEventMessageSchema>;
export type IntentMessage = z.infer<typeof intentMessageSchema>;
export type ReplyMessage = z.infer<typeof replyMessageSchema>;
export type ReplyDeltaMessage = z.infer<typeof replyDeltaMessageSchema>;
export type ToolCallMessage = z.infer<typeof toolCallMessageSchema>;
export type TransferMessage = z.infer<typeof transferMessageSchema>;
export type ReplyDoneMessage = z.infer<typeof replyDoneMessageSchema>;
export type InterruptedMessage = z.infer<typeof interruptedMessageSchema>;
export type MetricsMessage = z.infer<typeof metricsMessageSchema>;
export type ErrorMessage = z.infer<typeof errorMessageSchema>;
export type EndedMessage = z.infer<typeof endedMessageSchema>;
