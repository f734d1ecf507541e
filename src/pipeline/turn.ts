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
import { ttsStage } from "./stages/speak";
import { storeTurn } from "./stages/store";
import { understandStage } from "./stages/understand";
import { turnEvent } from "./turn-event";
import type { CallEvent, ReplyChannel, TurnInput, TurnResult } from "./types";

/**
 * One caller turn, stage by stage:
 *
 *   1. stt         what the caller said (text and keypad turns pass through; speech is recognised)
 *   2. understand  intent, reply and the flow's next state (the flow engine; an agent's model here)
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
  const understood = await understandStage(session, heard, call.store.agent());
  const afterNlp = performance.now();
  const masked = redactStage(call.config, session.state, heard, understood);
  const turnId = turnIdOf(session.turnCount + 1);
  const { heardText, intent, replyText } = masked;
  stream?.understood({ turnId, transcript: { text: heardText, source: heard.source }, intent, replyText });
  const owner = { tenantId: session.tenantId, residency: session.residency ?? null };
  const speech = { turnId, replyText, language: session.language, reply: input.reply };
  const spoken = await ttsStage(call, speech, owner, input.caller, stream);
  const done = performance.now();

  const { decision } = understood;
  const degraded = [understood.degraded, spoken.degraded].filter((d): d is string => Boolean(d));
  const result: TurnResult = {
    turnId,
    transcript: {
      text: heardText,
      confidence: heard.confidence,
      source: heard.source,
      ...(heard.provider ? { provider: heard.provider, region: heard.region } : {}),
    },
    intent,
    reply: { text: replyText, ...(spoken.audio ? { audio: spoken.audio } : {}) },
    latencyMs: {
      // Text and keypad turns run no recognizer: their STT stage is zero by definition.
      stt: input.payload.kind === "audio" ? round(afterStt - started) : 0,
      nlp: round(afterNlp - afterStt),
      tts: round(done - afterNlp),
      total: round(done - started),
    },
    ...(degraded.length ? { degraded } : {}),
    callStatus: decision.endCall ? "ended" : "active",
  };
  const turn = { input, fingerprint, heard, masked, nextState: decision.nextState, endCall: decision.endCall };
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
