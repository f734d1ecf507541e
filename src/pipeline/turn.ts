import { turnIdOf } from "../call/records";
import { ApiError } from "../lib/errors";
import { log } from "../observability/log";
import { annotateScope } from "../observability/scope";
import { activeSession, type CallRuntime } from "./call-runtime";
import { drainOutbox, reschedule } from "./lifecycle/outbox";
import { turnOutcome, writeTurnDataPoint } from "./metrics";
import { idempotentReplay } from "./stages/idempotency";
import { sttStage } from "./stages/recognize";
import { redactStage } from "./stages/redact";
import { speakerFor, ttsStage } from "./stages/speak";
import { storeTurn } from "./stages/store";
import { transferStage } from "./stages/transfer";
import { converseStage } from "./stages/converse";
import { agentUnderstood, understandStage } from "./stages/understand";
import { turnEvent } from "./turn-event";
import { keepSlotFresh } from "./lifecycle/release-job";
import type { CallEvent, ReplyChannel, TurnInput, TurnResult } from "./types";

/**
 * One caller turn, stage by stage:
 *
 *   1. stt         what the caller said (text and keypad turns pass through; speech is recognised)
 *   2. understand  a flow's intent engine: intent, reply, next state; or an agent's model
 *                  (stages/converse.ts), which sees only redacted text, calls the agent's tools
 *                  and, on a live turn, has each sentence spoken while it writes the next
 *   3. redact      cards, codes and REDACT_PATTERNS masked in all that leaves the turn
 *   4. tts         the reply spoken (whole, or sentence by sentence to a live stream)
 *   5. store       one row in the call's object: session, history, audio, audit use, metrics
 *
 * Every stage is a function of its own file under stages/, replaceable behind its signature.
 * `stream`: a live stream's turn (src/pipeline/live/), whose transcript, intent and reply go out
 * as soon as they are known and whose reply is spoken sentence by sentence; it is stored like
 * any other turn, except that a reply the caller cut short is stored as what was played.
 *
 * Turns of one call run one at a time, in arrival order (the object's serial queue). Returns the
 * result and the turn's log event; a replayed turn (same Idempotency-Key) returns the first
 * answer and no event.
 */
export async function runTurn(
  call: CallRuntime,
  input: TurnInput,
  stream?: ReplyChannel,
): Promise<{ result: TurnResult; event?: CallEvent }> {
  const session = activeSession(call);
  annotateScope({ tenantId: session.tenantId, callId: session.callId });
  keepSlotFresh(call, session);
  const { fingerprint, replay } = await idempotentReplay(call, session, input);
  if (replay) return { result: replay };
  const limit = call.config.MAX_TURNS_PER_CALL;
  if (session.turnCount >= limit) {
    const detail = `This call reached its limit of ${limit} turns; end it and start a new call.`;
    throw new ApiError(422, "turn_limit_reached", detail);
  }

  const started = performance.now();
  const heard = await sttStage(call, session, input);
  const afterStt = performance.now();
  const turnId = turnIdOf(session.turnCount + 1);
  const owner = { tenantId: session.tenantId, residency: session.residency ?? null };
  const agent = call.store.agent();
  // A live turn (WebSocket or SSE) speaks each sentence as soon as it is known.
  const live = stream && { channel: stream, speaker: speakerFor(call, turnId, session.language, owner, input, stream) };
  const understood =
    agent && agent.definition.flow === undefined
      ? agentUnderstood(session, await converseStage(call, session, agent, heard, { turnId }, live))
      : await understandStage(session, heard, agent);
  const afterNlp = performance.now();
  const masked = redactStage(call.config, session.state, heard, understood);
  const { heardText, intent, replyText } = masked;
  stream?.understood({ turnId, transcript: { text: heardText, source: heard.source }, intent, replyText });
  const speech = { turnId, replyText, language: session.language, reply: input.reply };
  const spoken = await ttsStage(call, speech, owner, input.caller, live, understood.agent !== undefined);
  const done = performance.now();
  // 4b. an agent's transfer: a Twilio call is dialled onwards once the reply has played
  const conversed = understood.agent;
  const transferred = conversed?.transfer && (await transferStage(call, session, conversed.transfer, spoken));

  const { decision } = understood;
  const degraded = [
    understood.degraded,
    spoken.degraded,
    transferred === "failed" ? "transfer_failed" : undefined,
  ].filter((d): d is string => Boolean(d));
  const result: TurnResult = {
    turnId,
    transcript: {
      text: heardText,
      confidence: heard.confidence,
      source: heard.source,
      ...(heard.provider ? { provider: heard.provider, region: heard.region } : {}),
    },
    ...(intent ? { intent } : {}),
    ...(conversed?.toolCalls.length ? { toolCalls: conversed.toolCalls } : {}),
    ...(conversed?.transfer && transferred ? { transfer: { ...conversed.transfer, status: transferred } } : {}),
    reply: { text: replyText, ...(spoken.audio ? { audio: spoken.audio } : {}) },
    latencyMs: {
      // Text and keypad turns run no recognizer: their STT stage is zero by definition.
      stt: input.payload.kind === "audio" ? round(afterStt - started) : 0,
      nlp: round(afterNlp - afterStt),
      // An agent's reply is spoken while it is written: its TTS stage is the time after the model finished.
      tts: round(done - afterNlp),
      total: round(done - started),
      ...(conversed ? { llm: round(afterNlp - afterStt) } : {}),
    },
    ...(degraded.length ? { degraded } : {}),
    callStatus: decision.endCall ? "ended" : "active",
  };
  const turn = {
    input,
    fingerprint,
    heard,
    masked,
    nextState: decision.nextState,
    endCall: decision.endCall,
    ...(conversed ? { usage: conversed.llm.usage, agent: { ...conversed.llm, toolCalls: conversed.toolCalls } } : {}),
  };
  // An eager turn (prepared before the caller was known to be done) is stored only once confirmed.
  await stream?.confirmed?.(turnId);
  const { updated, ended } = storeTurn(call, session, { ...turn, spoken, result }, stream);
  if (ended) log(ended.event, ended.fields);
  stream?.committed(turnId);
  if (decision.endCall) await drainOutbox(call);
  await reschedule(call);
  const attempts = { stt: heard.attempts, tts: spoken.synth?.attempts };
  const event = turnEvent(input.requestId, updated, result, attempts, masked.counts);
  writeTurnDataPoint(call.env, updated.tenantId, result.transcript.source, turnOutcome(result), result);
  return { result, event };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
