import type { CallerPosition } from "../../call/caller";
import type { Residency } from "../../call/residency";
import { mediaTypeFor } from "../../audio/output-format";
import { bytesToBase64 } from "../../lib/base64";
import { concatBytes } from "../../lib/bytes";
import { ApiError } from "../../lib/errors";
import { splitSentences } from "../../nlp/sentences";
import { log } from "../../observability/log";
import { inSpan } from "../../observability/tracing";
import { ttsEnginePairsFor, ttsEnginesFor } from "../../routing/resident-order";
import { ttsCacheFor } from "../../storage/speech-cache";
import type { CallRuntime } from "../call-runtime";
import type { TtsEnginePair } from "../../providers/registry";
import type { ReplyChannel, ReplyOptions, TurnResult } from "../types";
import { streamSentence, streamsReply } from "./speak-stream";
import { synthesize, TtsUnavailableError, type Synthesized } from "./synthesize";

/**
 * The text-to-speech stage: a reply's words become audio, from the first engine of the chain
 * (ordered for the caller, within the call's residency) that answers, through the speech cache.
 * A reply no engine can speak degrades to text (`degraded: "tts_unavailable"`) rather than
 * failing the turn. A live stream's reply is spoken sentence by sentence (speakStreaming).
 */

/** Whose speech it is: the speech cache is the tenant's, in its residency's bucket. */
export interface SpeechOwner {
  tenantId: string;
  residency: Residency | null;
}

/** A spoken reply: the synthesis (for storage), its audio as the turn returns it, or why there is none. */
export interface Spoken {
  synth: Synthesized | undefined;
  audio: TurnResult["reply"]["audio"];
  degraded: string | undefined;
}

const SILENT: Spoken = { synth: undefined, audio: undefined, degraded: undefined };

/**
 * The turn's TTS stage, traced: the whole reply at once, or sentence by sentence to a live stream.
 * `spokenAsWritten`: an agent's live reply, whose sentences the speaker already has (converse.ts).
 */
export function ttsStage(
  call: CallRuntime,
  turn: { turnId: string; replyText: string; language: string; reply: ReplyOptions },
  owner: SpeechOwner,
  caller: CallerPosition | undefined,
  live?: { speaker: SentenceSpeaker },
  spokenAsWritten = false,
): Promise<Spoken> {
  return inSpan("tts", { "voice.stage": "tts", "voice.reply_mode": turn.reply.mode }, async (span) => {
    if (live && !spokenAsWritten) for (const sentence of splitSentences(turn.replyText)) live.speaker.say(sentence);
    const out = live
      ? await live.speaker.finish()
      : await speak(call, turn.replyText, turn.language, turn.reply, owner, caller);
    if (out.synth) {
      const { provider, region, cache } = out.synth;
      span?.setAttributes({ "voice.provider": provider, "voice.region": region, "voice.cache": cache });
    }
    if (out.degraded) span?.setAttribute("voice.degraded", out.degraded);
    return out;
  });
}

/** The speaker of a live turn's reply. */
export function speakerFor(
  call: CallRuntime,
  turnId: string,
  language: string,
  owner: SpeechOwner,
  input: { caller?: CallerPosition | undefined },
  stream: ReplyChannel,
): SentenceSpeaker {
  return new SentenceSpeaker(call, { turnId, language }, stream, owner, input.caller);
}

/** TTS for a reply (the greeting too); a failed synthesis degrades the turn to text instead of failing it. */
export async function speak(
  call: CallRuntime,
  text: string,
  language: string,
  reply: ReplyOptions,
  owner: SpeechOwner,
  caller: CallerPosition = {},
): Promise<Spoken> {
  if (reply.mode === "text" || !text) return SILENT;
  try {
    const engines = ttsEnginesFor(call.env, call.config, { caller, residency: owner.residency });
    const synth = await synthesize(text, language, reply, engines, {
      cache: ttsCacheFor(call.env, call.config.TTS_CACHE_TTL_SECONDS, owner),
      resilience: { timeout: call.deadlines.timeout },
    });
    return { synth, audio: turnAudio(synth, bytesToBase64(synth.audio.bytes)), degraded: undefined };
  } catch (err) {
    if (ttsUnavailable(err)) return { ...SILENT, degraded: "tts_unavailable" };
    throw err;
  }
}

/**
 * Speaks a reply to a live stream one sentence at a time, as its sentences become known: a flow's
 * whole reply at once, or an agent's while its model is still writing the next one. Sentences are
 * synthesised and sent in order, one at a time; at a barge-in the rest are dropped.
 *
 * With engines that stream (and PCM or µ-law to send), each sentence's audio goes out as the engine
 * synthesises it (speak-stream.ts). A sentence whose engine failed after some of its audio went out
 * is cut there, not spoken again: the reply goes on with the next sentence, the stored reply keeps
 * its full text (which words of the cut sentence were heard is not known), and the turn is flagged
 * `degraded: ["tts_cut"]`.
 */
export class SentenceSpeaker {
  private queue: Promise<void> = Promise.resolve();
  private readonly sent: Synthesized[] = [];
  private degraded: string | undefined;
  private failure: { error: unknown } | undefined;
  private engines: TtsEnginePair[] | undefined;
  private cut = false;

  constructor(
    private readonly call: CallRuntime,
    private readonly turn: { turnId: string; language: string },
    private readonly stream: ReplyChannel,
    private readonly owner: SpeechOwner,
    private readonly caller: CallerPosition = {},
  ) {}

  /** Queues a sentence; it is spoken after those before it. */
  say(sentence: string): void {
    this.queue = this.queue.then(() => this.speakOne(sentence));
  }

  /** Waits for the queued sentences, ends the reply (`reply_done`) and returns what was spoken. */
  async finish(): Promise<Spoken> {
    await this.queue;
    this.stream.replyDone(this.turn.turnId);
    if (this.failure) throw this.failure.error;
    return joined(this.sent, this.stream.replyOptions, this.degraded ?? (this.cut ? "tts_cut" : undefined));
  }

  private async speakOne(sentence: string): Promise<void> {
    const reply = this.stream.replyOptions;
    const id = this.turn.turnId;
    if (reply.mode !== "audio" || this.degraded || this.failure || this.stream.interrupted(id)) return;
    try {
      const { env, config } = this.call;
      const engines = (this.engines ??= ttsEnginePairsFor(env, config, {
        caller: this.caller,
        residency: this.owner.residency,
      }));
      const cache = ttsCacheFor(env, config.TTS_CACHE_TTL_SECONDS, this.owner);
      const resilience = { timeout: this.call.deadlines.timeout };
      if (streamsReply(reply, engines)) {
        const out = await streamSentence(sentence, this.turn.language, reply, engines, {
          cache,
          resilience,
          signal: this.stream.interruption(id),
          send: (bytes, part) => this.stream.audio(id, sentence, bytes, part),
          waitUntil: (work) => this.call.waitUntil(work),
        });
        if (out.synth) this.sent.push(out.synth);
        if (out.cut) this.cut = true;
        return;
      }
      const tts = engines.map((e) => e.tts);
      const synth = await synthesize(sentence, this.turn.language, reply, tts, { cache, resilience });
      if (this.stream.interrupted(id)) return;
      // Engines that only return a container (mp3, ogg) are filtered out for "pcm" and "mulaw".
      if (synth.audio.format !== reply.format || synth.audio.sampleRate !== reply.sampleRate)
        throw new TtsUnavailableError(`${synth.provider} returned ${synth.audio.format}@${synth.audio.sampleRate}`);
      this.stream.audio(id, sentence, synth.audio.bytes);
      this.sent.push(synth);
    } catch (err) {
      if (ttsUnavailable(err)) this.degraded = "tts_unavailable";
      else this.failure = { error: err };
    }
  }
}

/** The sentences sent, as one synthesis for storage (one sentence keeps its cache entry). */
function joined(sent: Synthesized[], reply: ReplyOptions, degraded: string | undefined): Spoken {
  const first = sent[0];
  if (!first) return { ...SILENT, degraded };
  const synth: Synthesized =
    sent.length === 1
      ? first
      : {
          audio: {
            format: reply.format,
            sampleRate: reply.sampleRate,
            mediaType: mediaTypeFor(reply.format, reply.sampleRate),
            bytes: concatBytes(sent.map((s) => s.audio.bytes)),
          },
          provider: first.provider,
          region: first.region,
          cache: sent.every((s) => s.cache === "hit") ? "hit" : "miss",
          attempts: sent.flatMap((s) => s.attempts ?? []),
        };
  // The turn's result stays inside the object (the stream sent the audio): no base64 copy.
  return { synth, audio: turnAudio(synth, ""), degraded };
}

function turnAudio(synth: Synthesized, base64: string): NonNullable<TurnResult["reply"]["audio"]> {
  const { format, sampleRate } = synth.audio;
  return { format, sampleRate, base64, provider: synth.provider, region: synth.region, cache: synth.cache };
}

/** Whether a synthesis failure degrades the reply to text (logged) rather than failing the turn. */
function ttsUnavailable(err: unknown): boolean {
  // Every engine failed, the TTS settings are broken, or no engine may serve this residency:
  // the caller still gets the text reply.
  if (
    err instanceof TtsUnavailableError ||
    (err instanceof ApiError && (err.code === "provider_misconfigured" || err.code === "residency_unavailable"))
  ) {
    log("tts_unavailable", { message: err instanceof ApiError ? err.detail : err.message }, "warn");
    return true;
  }
  return false;
}
