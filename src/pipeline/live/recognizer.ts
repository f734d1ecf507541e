/**
 * Streaming recognition on a live stream (STT_STREAMING_PROVIDERS): one provider socket per caller
 * utterance, opened when the energy endpointer hears speech start and closed once the provider
 * ended the turn, so an idle call holds no socket (an open outbound socket keeps the call's object
 * in memory: it cannot hibernate). Interim transcripts go to the client as they come; the
 * provider's end of turn, not the local silence rule, ends the caller's turn, and the turn runs
 * with its transcript. The endpointer stays as a safety net with a long silence rule
 * (SAFETY_NET_SILENCE_MS). Which engine hears the utterance, and the next one taking over with a
 * replay when its socket fails, is utterance-socket.ts; when no streaming engine is left, the
 * utterance goes to the batch chain as before. Barge-in waits for words (backchannel.ts) instead of
 * firing on any sound.
 */
import type { DecodedAudio } from "../../audio/decode";
import type { Endpointer } from "../../audio/vad";
import { errorMessage } from "../../lib/errors";
import { log } from "../../observability/log";
import type { ProviderError } from "../../providers/errors";
import type { SttStreamEvent, StreamingSpeechToText } from "../../providers/streaming";
import type { ServerMessage } from "../../stream/protocol";
import type { ReplyChannel, StreamedTranscript, TurnPayload } from "../types";
import { BARGE_IN_DEFAULTS, interrupts, isBackchannel } from "./backchannel";
import { pcmAudio } from "./caller-audio";
import { HeldReply } from "./held-reply";
import type { StartSettings } from "./stream-state";
import { UtteranceSocket } from "./utterance-socket";

/** Silence after which the endpointer ends an utterance the provider has not ended (it never said so). */
export const SAFETY_NET_SILENCE_MS = 2000;
/** Audio before the onset sent to the provider, so the first syllable is not lost. */
export const PRE_ROLL_MS = 300;
/** The most audio one utterance keeps (the endpointer cuts utterances at 30 s). */
const MAX_UTTERANCE_MS = 35_000;

/** What the recogniser needs from its live stream. */
export interface RecognizerHost {
  /** The stream's own reply channel (an eager turn's HeldReply wraps it). */
  live: ReplyChannel;
  send(message: ServerMessage): void;
  /** A caller turn, in the call's turn order, reporting through `channel` (default: the stream). */
  turn(payload: TurnPayload, endedAt: number, channel?: ReplyChannel): Promise<void>;
  /** Interrupts the reply being sent or still playing (playback.ts decides whether there is one). */
  bargeIn(): void;
  /** Whether a reply is being sent or still playing: a backchannel then takes no turn. */
  replyPlaying(): boolean;
  /** The stream's endpointer (forgotten after the provider ended the turn; its silence rule restored on failure). */
  endpointer(): Endpointer | undefined;
}

/**
 * The call's streaming recognisers in preference order (empty: streaming is off) and its language.
 * Any call's turn may start on an eager end of turn: nothing it does before it is confirmed reaches
 * outside the call (a flow's turn is local until stored; an agent's tools wait, converse.ts).
 */
export type SttStreams = () => {
  engines: StreamingSpeechToText[];
  language: string;
  /** Hands work no message waits for (a socket's opening) to the object's waitUntil. */
  background?: (work: Promise<unknown>) => void;
};

/** One caller utterance and its provider socket. */
interface Utterance {
  socket: UtteranceSocket;
  /** The utterance from its pre-roll on (what a failover replays, and the turn's audio). */
  audio: Int16Array[];
  samples: number;
  /** The latest transcript of the turn so far (interim, or the segments the provider settled). */
  text: string;
  segments: string[];
  voicedMs: number;
  bargedIn: boolean;
  failed?: ProviderError;
  /** The turn was taken (or dropped): later events of the socket are ignored. */
  retired: boolean;
  /** The turn started on an eager end of turn, its reply held until the provider confirms. */
  eager?: { text: string; reply: HeldReply };
}

export class Recognizer {
  /** The last audio heard, for the pre-roll: chunks and the stream sample of the first one. */
  private ring: Int16Array[] = [];
  private ringStart = 0;
  private heard = 0;
  private readonly ringSamples: number;
  private utterance: Utterance | undefined;

  private constructor(
    private readonly start: StartSettings,
    private readonly streams: SttStreams,
    private readonly host: RecognizerHost,
  ) {
    this.ringSamples = this.samplesOf(PRE_ROLL_MS + start.vad.minSpeechMs + 200);
  }

  /** The stream's recogniser, or undefined when no streaming provider is configured (batch STT as before). */
  static for(start: StartSettings, streams: SttStreams, host: RecognizerHost): Recognizer | undefined {
    return streamsOf(streams).engines.length ? new Recognizer(start, streams, host) : undefined;
  }

  /** The endpointer's settings with streaming on: the provider ends turns, the long silence rule is a net. */
  get vad(): { endSilenceMs: number } {
    return { endSilenceMs: Math.max(this.start.vad.endSilenceMs, SAFETY_NET_SILENCE_MS) };
  }

  /** Every frame of caller audio, before the endpointer's events for it. */
  hear(samples: Int16Array): void {
    this.ring.push(samples);
    this.heard += samples.length;
    let kept = this.heard - this.ringStart;
    while (this.ring.length > 1 && kept - this.ring[0]!.length >= this.ringSamples) {
      kept -= this.ring[0]!.length;
      this.ringStart += this.ring.shift()!.length;
    }
    const u = this.utterance;
    if (!u || u.retired) return;
    this.keep(u, samples);
    if (loud(samples, this.start.vad.thresholdDbfs)) u.voicedMs += (samples.length * 1000) / this.start.sampleRate;
    this.judgeBargeIn(u);
  }

  /**
   * The endpointer heard speech start at `atMs` (its own clock, which is this recogniser's): opens
   * the provider's socket with the pre-roll. True: barge-in waits for the rule (judgeBargeIn).
   */
  speechStarted(atMs: number): boolean {
    if (this.utterance) this.retire(this.utterance);
    const { engines, language, background } = streamsOf(this.streams);
    const audio: Int16Array[] = [];
    const from = Math.max(this.ringStart, this.samplesOf(atMs - PRE_ROLL_MS));
    let at = this.ringStart;
    for (const chunk of this.ring) {
      const skip = Math.max(0, from - at);
      if (skip < chunk.length) audio.push(skip ? chunk.subarray(skip) : chunk);
      at += chunk.length;
    }
    const options = { language, sampleRate: this.start.sampleRate, background };
    const u: Utterance = {
      socket: new UtteranceSocket(engines, options, (event) => this.onEvent(u, event)),
      audio,
      samples: audio.reduce((n, c) => n + c.length, 0),
      text: "",
      segments: [],
      voicedMs: this.start.vad.minSpeechMs,
      bargedIn: false,
      retired: false,
    };
    // No streaming engine may take it (every breaker open): the batch chain hears it, as without streaming.
    if (!u.socket.start(audio)) return false;
    this.utterance = u;
    return true;
  }

  /**
   * The endpointer ended the utterance: the safety net (the provider never ended the turn) or,
   * after a failed stream, the caller's own silence rule. False: the caller runs the batch turn
   * with `audio` as without streaming.
   */
  ended(audio: DecodedAudio, work: Promise<void>[]): boolean {
    const u = this.utterance;
    if (!u) return false;
    // Detached: the next utterance may start while this one's provider finishes.
    this.utterance = undefined;
    if (u.failed) {
      this.retire(u);
      return false;
    }
    work.push(this.finishLate(u, audio));
    return true;
  }

  /** The utterance was keypad tones: no turn, no socket. */
  cancel(): void {
    if (this.utterance) this.retire(this.utterance);
  }

  /** The stream is closing: no more turns; the provider socket goes at once. */
  close(): void {
    const u = this.utterance;
    this.utterance = undefined;
    if (!u || u.retired) return;
    u.retired = true;
    u.eager?.reply.drop();
    u.socket.close();
  }

  private async finishLate(u: Utterance, audio: DecodedAudio): Promise<void> {
    // Asking the provider to finish makes it settle what it heard (its last transcript) or fail.
    await u.socket.finish();
    // The provider's end of turn came meanwhile: its turn is running.
    if (u.retired) return;
    this.retire(u);
    if (u.failed) return this.host.turn({ kind: "audio", audio }, performance.now());
    const text = (u.text || u.segments.join(" ")).trim();
    const engine = u.socket.engine;
    if (!text) return log("stt_stream_no_words", { provider: engine.name, audioMs: audio.durationMs });
    log("stt_stream_no_end_of_turn", { provider: engine.name }, "warn");
    const heard = { text, confidence: 0, provider: engine.name, region: engine.region };
    return this.takeTurn(u, heard);
  }

  private onEvent(u: Utterance, event: SttStreamEvent): void {
    // What a finishing socket still reports after the turn was taken belongs to no turn.
    if (u.retired) return;
    switch (event.type) {
      case "interim":
        return this.interim(u, event.text);
      case "segment":
        u.segments.push(event.text);
        return this.interim(u, u.segments.join(" "));
      case "end_of_turn":
        return this.endOfTurn(u, this.transcript(u, event));
      case "eager_end_of_turn":
        return this.eagerEndOfTurn(u, event.text.trim());
      case "turn_resumed":
        u.eager?.reply.drop();
        u.eager = undefined;
        return;
      case "error":
        return this.failed(u, event.error);
      case "speech_started":
        // The energy endpointer already said so.
        return;
    }
  }

  private interim(u: Utterance, text: string): void {
    // A segment often repeats the interim before it: the client hears each hypothesis once.
    if (text === u.text) return;
    u.text = text;
    this.host.send({ type: "transcript", text, final: false, source: "speech" });
    this.judgeBargeIn(u);
  }

  private transcript(
    u: Utterance,
    e: { text: string; confidence: number; words?: StreamedTranscript["words"] },
  ): StreamedTranscript {
    return {
      text: e.text.trim(),
      confidence: e.confidence,
      provider: u.socket.engine.name,
      region: u.socket.engine.region,
      ...(e.words ? { words: e.words } : {}),
    };
  }

  /** The provider ended the caller's turn: the turn runs with its transcript; the socket closes. */
  private endOfTurn(u: Utterance, heard: StreamedTranscript): void {
    const eager = u.eager;
    u.eager = undefined;
    // The endpointer still holds the utterance, waiting for its long silence: it is over.
    if (this.utterance === u) this.host.endpointer()?.reset();
    this.retire(u);
    void this.takeTurn(u, heard, eager);
  }

  /**
   * The provider thinks the turn is probably over (Flux EagerEndOfTurn): the turn starts now, its
   * reply held (held-reply.ts) until end_of_turn confirms it, dropped if the caller goes on.
   */
  private eagerEndOfTurn(u: Utterance, text: string): void {
    if (u.eager || !text) return;
    // A backchannel over the reply takes no turn: nothing to prepare.
    if (!u.bargedIn && this.host.replyPlaying() && isBackchannel(text)) return;
    const reply = new HeldReply(this.host.live);
    u.eager = { text, reply };
    const heard = { text, confidence: 0, provider: u.socket.engine.name, region: u.socket.engine.region };
    void this.host.turn(this.payload(u, heard), performance.now(), reply);
  }

  private takeTurn(u: Utterance, heard: StreamedTranscript, eager?: Utterance["eager"]): Promise<void> {
    const kept = eager?.text === heard.text ? eager.reply : undefined;
    if (eager && !kept) eager.reply.drop();
    if (!heard.text) {
      log("stt_stream_no_words", { provider: heard.provider, audioMs: this.msOf(u.samples) });
      kept?.drop();
      return Promise.resolve();
    }
    if (!u.bargedIn && this.host.replyPlaying() && isBackchannel(heard.text)) {
      // "uh-huh" over the reply: the caller is listening; the reply goes on and no turn is taken.
      log("stt_backchannel", { provider: heard.provider, words: heard.text.split(/\s+/).length });
      kept?.drop();
      return Promise.resolve();
    }
    if (!u.bargedIn) this.host.bargeIn();
    // The eager turn heard the same words: its prepared reply goes out now.
    if (kept) return Promise.resolve(kept.release());
    return this.host.turn(this.payload(u, heard), performance.now());
  }

  private payload(u: Utterance, heard: StreamedTranscript): TurnPayload {
    const audio = pcmAudio(concat(u.audio, u.samples), this.start.sampleRate);
    return { kind: "audio", audio, recognized: heard };
  }

  private failed(u: Utterance, error: ProviderError): void {
    // Another engine, or the batch chain, will hear the utterance anew.
    u.eager?.reply.drop();
    u.eager = undefined;
    const from = u.socket.engine;
    log("stt_stream_failed", { provider: from.name, region: from.region, message: error.message }, "warn");
    // Only while the caller is still in the utterance: once it has ended, the batch chain (whose
    // deadline bounds the turn) hears it sooner than a new socket that must hear it all again.
    const to = this.utterance === u ? u.socket.failover(u.audio) : undefined;
    if (to) {
      const fields = { from: from.name, fromRegion: from.region, to: to.name, toRegion: to.region };
      log("stt_stream_failover", { ...fields, replayedMs: Math.round(this.msOf(u.samples)) });
      // The new provider hears the utterance from its start: its words replace the failed one's.
      u.text = "";
      u.segments = [];
      return;
    }
    u.failed = error;
    // Detached: finishLate replays it to the batch chain.
    if (this.utterance !== u) return;
    // Words can no longer be judged: today's rule (any speech interrupts), and the caller's own silence rule.
    if (!u.bargedIn) {
      u.bargedIn = true;
      this.host.bargeIn();
    }
    this.host.endpointer()?.setEndSilenceMs(this.start.vad.endSilenceMs);
  }

  private judgeBargeIn(u: Utterance): void {
    if (u.bargedIn || u.failed) return;
    if (!interrupts(u.text, u.voicedMs, this.start.bargeIn ?? BARGE_IN_DEFAULTS)) return;
    u.bargedIn = true;
    this.host.bargeIn();
  }

  private keep(u: Utterance, samples: Int16Array): void {
    if (this.msOf(u.samples + samples.length) <= MAX_UTTERANCE_MS) {
      u.audio.push(samples);
      u.samples += samples.length;
    }
    if (!u.failed) u.socket.send(samples);
  }

  /** Leaves an utterance: its socket is finished (or closed), its later events ignored. */
  private retire(u: Utterance): void {
    if (this.utterance === u) this.utterance = undefined;
    if (u.retired) return;
    u.retired = true;
    u.eager?.reply.drop();
    u.socket.retire();
  }

  private samplesOf(ms: number): number {
    return Math.round((Math.max(0, ms) * this.start.sampleRate) / 1000);
  }

  private msOf(samples: number): number {
    return (samples * 1000) / this.start.sampleRate;
  }
}

/** The configured engines; none when the setting is wrong (logged), so the batch chain answers. */
function streamsOf(streams: SttStreams): ReturnType<SttStreams> {
  try {
    return streams();
  } catch (err) {
    log("stt_stream_misconfigured", { message: errorMessage(err) }, "warn");
    return { engines: [], language: "" };
  }
}

function concat(chunks: Int16Array[], length: number): Int16Array {
  const out = new Int16Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Whether a chunk's RMS reaches the stream's speech threshold (dBFS). */
function loud(samples: Int16Array, thresholdDbfs: number): boolean {
  let energy = 0;
  for (let i = 0; i < samples.length; i++) energy += (samples[i]! / 32768) ** 2;
  return 10 * Math.log10(energy / Math.max(1, samples.length) + 1e-12) >= thresholdDbfs;
}
