/**
 * What Deepgram's streaming sockets say, as SttStreamEvents. Shared by Deepgram's own endpoint and
 * by Workers AI's @cf/deepgram/nova-3 and @cf/deepgram/flux, which speak the same frames.
 *
 * Nova, /v1/listen (https://developers.deepgram.com/reference/speech-to-text/listen-streaming):
 * `Results` with `channel.alternatives[0]`, `is_final` (this stretch will not change) and
 * `speech_final` (endpointing heard a pause); `UtteranceEnd` (no word for utterance_end_ms, the
 * backstop when noise hides the pause); `SpeechStarted` (vad_events); `Metadata`. Errors end the
 * stream with a close frame whose reason names them (DATA-0000, NET-0001...).
 *
 * Flux, /v2/listen (https://developers.deepgram.com/reference/speech-to-text/listen-flux):
 * `Connected`, `TurnInfo` whose `event` is Update, StartOfTurn, EagerEndOfTurn, TurnResumed or
 * EndOfTurn, each with the turn's whole `transcript` so far, and `Error` {code, description}.
 */
import { z } from "zod";
import { ProviderError } from "../errors";
import { unexpectedClose, type SttProtocol } from "../stt-socket";
import type { SttStreamEvent } from "../streaming";
import type { SttWord } from "../types";

const novaWord = z.object({
  word: z.string(),
  start: z.number(),
  end: z.number(),
  confidence: z.number(),
  punctuated_word: z.string().optional(),
});

const novaFrame = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("Results"),
    is_final: z.boolean().default(false),
    speech_final: z.boolean().default(false),
    channel: z.object({
      alternatives: z.array(
        z.object({ transcript: z.string(), confidence: z.number().default(0), words: z.array(novaWord).optional() }),
      ),
    }),
  }),
  z.object({ type: z.literal("UtteranceEnd") }),
  z.object({ type: z.literal("SpeechStarted") }),
  z.object({ type: z.literal("Metadata") }),
  errorFrame(),
]);

const fluxFrame = z.discriminatedUnion("type", [
  z.object({ type: z.literal("Connected") }),
  z.object({
    type: z.literal("TurnInfo"),
    event: z.enum(["Update", "StartOfTurn", "EagerEndOfTurn", "TurnResumed", "EndOfTurn"]),
    transcript: z.string(),
    end_of_turn_confidence: z.number().optional(),
    // Flux words carry a confidence; start and end only in newer answers.
    words: z
      .array(
        z.object({
          word: z.string(),
          confidence: z.number(),
          start: z.number().optional(),
          end: z.number().optional(),
        }),
      )
      .default([]),
  }),
  errorFrame(),
]);

/** Flux documents {code, description}; Deepgram's HTTP errors use err_code/err_msg, read too. */
function errorFrame() {
  return z.object({
    type: z.literal("Error"),
    code: z.string().optional(),
    variant: z.string().optional(),
    err_code: z.string().optional(),
    description: z.string().optional(),
    message: z.string().optional(),
    err_msg: z.string().optional(),
  });
}

type ErrorFrame = z.output<ReturnType<typeof errorFrame>>;

const FINALIZE = JSON.stringify({ type: "Finalize" });
const CLOSE_STREAM = JSON.stringify({ type: "CloseStream" });
const KEEP_ALIVE = JSON.stringify({ type: "KeepAlive" });

/** Nova: interim hypotheses, final segments, and the end of a turn at `speech_final` or `UtteranceEnd`. */
export function novaProtocol(provider: string): SttProtocol {
  /** The finals of the turn so far: speech_final/UtteranceEnd ends the turn with all of them. */
  let finals: { text: string; confidence: number; words: SttWord[] }[] = [];
  const endOfTurn = (): SttStreamEvent[] => {
    if (!finals.length) return [];
    const words = finals.flatMap((f) => f.words);
    const event: SttStreamEvent = {
      type: "end_of_turn",
      text: finals.map((f) => f.text).join(" "),
      confidence: mean(finals.map((f) => f.confidence)),
      ...(words.length ? { words } : {}),
    };
    finals = [];
    return [event];
  };
  return {
    read(raw) {
      const frame = parse(provider, novaFrame, raw);
      if (!frame) return [];
      if ("error" in frame) return [frame];
      switch (frame.type) {
        case "SpeechStarted":
          return [{ type: "speech_started" }];
        case "UtteranceEnd":
          return endOfTurn();
        case "Metadata":
          return [];
        case "Error":
          return [{ type: "error", error: errorFromFrame(provider, frame) }];
        case "Results": {
          const best = frame.channel.alternatives[0];
          const text = best?.transcript.trim() ?? "";
          const events: SttStreamEvent[] = [];
          if (!frame.is_final) {
            // The turn so far: the finals before this stretch, then its hypothesis.
            if (text) events.push({ type: "interim", text: [...finals.map((f) => f.text), text].join(" ") });
            return events;
          }
          if (text && best) {
            const words = (best.words ?? []).map((w): SttWord => ({
              word: w.punctuated_word ?? w.word,
              startMs: Math.round(w.start * 1000),
              endMs: Math.round(w.end * 1000),
              confidence: w.confidence,
            }));
            finals.push({ text, confidence: best.confidence, words });
            // A stretch that also ends the turn is told once, in the end of turn (which joins it), not
            // first as a segment too: the client would see the same words as an interim just before.
            if (!frame.speech_final)
              events.push({ type: "segment", text, confidence: best.confidence, ...(words.length ? { words } : {}) });
          }
          if (frame.speech_final) events.push(...endOfTurn());
          return events;
        }
      }
    },
    flush: endOfTurn,
    // Finalize flushes what Deepgram buffered as a final Results (from_finalize), CloseStream then
    // sends Metadata and closes 1000 (https://developers.deepgram.com/docs/finalize, /docs/close-stream).
    finishFrames: [FINALIZE, CLOSE_STREAM],
    keepAlive: KEEP_ALIVE,
    closeError: (code, reason) => deepgramCloseError(provider, code, reason),
  };
}

/** Flux: the model ends turns itself; EagerEndOfTurn/TurnResumed come only with eager_eot_threshold set. */
export function fluxProtocol(provider: string): SttProtocol {
  /** The latest transcript of a turn that has not ended: CloseStream does not end it (no EndOfTurn). */
  let open: { text: string; confidence: number } | null = null;
  return {
    read(raw) {
      const frame = parse(provider, fluxFrame, raw);
      if (!frame) return [];
      if ("error" in frame) return [frame];
      if (frame.type === "Connected") return [];
      if (frame.type === "Error") return [{ type: "error", error: errorFromFrame(provider, frame) }];
      const text = frame.transcript.trim();
      const confidence = frame.words.length ? mean(frame.words.map((w) => w.confidence)) : 0;
      const interim: SttStreamEvent[] = text ? [{ type: "interim", text }] : [];
      switch (frame.event) {
        case "StartOfTurn":
          open = { text, confidence };
          return [{ type: "speech_started" }, ...interim];
        case "Update":
          if (open || text) open = { text, confidence };
          return interim;
        case "EagerEndOfTurn":
          open = { text, confidence };
          return [{ type: "eager_end_of_turn", text }];
        case "TurnResumed":
          open = { text, confidence };
          return [{ type: "turn_resumed" }, ...interim];
        case "EndOfTurn": {
          open = null;
          const words = fluxWords(frame.words);
          return [{ type: "end_of_turn", text, confidence, ...(words ? { words } : {}) }];
        }
      }
    },
    flush() {
      // "treat the most recent Update as the final transcript" (https://developers.deepgram.com/docs/flux/close-stream)
      const last = open;
      open = null;
      return last?.text ? [{ type: "end_of_turn", text: last.text, confidence: last.confidence }] : [];
    },
    // Flux decodes what it has, sends its last Updates and closes without a status code (1005).
    finishFrames: [CLOSE_STREAM],
    keepAlive: KEEP_ALIVE,
    closeError: (code, reason) => deepgramCloseError(provider, code, reason),
  };
}

/** Words with their times, when Flux sent times for every one (SttWord needs them). */
function fluxWords(words: { word: string; confidence: number; start?: number; end?: number }[]) {
  if (!words.length || words.some((w) => w.start === undefined || w.end === undefined)) return undefined;
  return words.map((w): SttWord => ({
    word: w.word,
    startMs: Math.round(w.start! * 1000),
    endMs: Math.round(w.end! * 1000),
    confidence: w.confidence,
  }));
}

/**
 * A close Deepgram sent: 1008 with DATA-0000 is audio it cannot decode (permanent, so the same
 * audio is not retried here); 1011 NET-0000/NET-0001 (no audio for 10 s) and drops are retryable
 * (https://developers.deepgram.com/docs/stt-troubleshooting-websocket-data-and-net-errors).
 */
export function deepgramCloseError(provider: string, code: number, reason: string): ProviderError {
  return unexpectedClose(provider, code, reason.slice(0, 300));
}

function errorFromFrame(provider: string, frame: ErrorFrame): ProviderError {
  const code = frame.code ?? frame.err_code ?? frame.variant ?? "";
  const text = frame.description ?? frame.message ?? frame.err_msg ?? "error";
  const kind = /auth|credential|permission|forbidden|unauthori[sz]ed/i.test(`${code} ${text}`)
    ? "auth"
    : /^(DATA-|BAD_|INVALID|UNSUPPORTED)|bad request|invalid|unsupported|malformed/i.test(`${code} ${text}`) &&
        !/internal|timeout|unavailable/i.test(`${code} ${text}`)
      ? "permanent"
      : "retryable";
  return new ProviderError(provider, kind, `${text.slice(0, 300)}${code ? ` (${code})` : ""}`);
}

/** A frame as its schema reads it; unknown frame types are skipped, a known one out of shape is an error. */
function parse<T extends z.ZodType>(
  provider: string,
  schema: T,
  raw: string,
): z.output<T> | { type: "error"; error: ProviderError } | null {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { type: "error", error: new ProviderError(provider, "invalid_response", "a frame that is not JSON") };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const type = (json as { type?: unknown } | null)?.type;
  const known = parsed.error.issues.some((i) => i.code !== "invalid_union");
  if (!known) return null; // a frame type this adapter does not use (Deepgram adds them over time)
  return {
    type: "error",
    error: new ProviderError(provider, "invalid_response", `a ${String(type)} frame out of its documented shape`),
  };
}

const mean = (values: number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0);
