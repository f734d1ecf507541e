import { splitSentences } from "../../nlp/sentences";
import type { SentencePart } from "../types";

/** The modelled playback keeps at most this many sentence ends (a reply is a few sentences). */
const MAX_TRACKED_SENTENCES = 64;

/** A reply whose audio is being sent or may still be playing on the caller's side. */
interface ActiveReply {
  turnId: string;
  sentences: string[];
  ends: number[];
  sending: boolean;
  committed: boolean;
  interrupted: boolean;
  spokenText?: string;
  /** The last sentence is being streamed: more of it is to come, so it has not played to its end. */
  open?: boolean;
}

/** What survives hibernation of the last reply's playback (in the socket's attachment). */
export interface PlaybackState {
  playback?: { turnId: string; ends: number[] };
  /**
   * A transport that reports playback (Twilio echoes each sentence's mark once its audio played):
   * the sentences of `played.turnId` confirmed so far. Present, it decides what was played.
   */
  twilio?: { played?: { turnId: string; sentences: number } };
}

/** A barge-in's outcome: the reply cut, what of it was played, and whether its stored text must be revised. */
export interface Interruption {
  turnId: string;
  spokenText: string;
  /** The turn was already stored: its reply is rewritten to what was played. */
  revise: boolean;
}

function confirmedSentences(played: { turnId: string; sentences: number } | undefined, turnId: string): number {
  return played?.turnId === turnId ? played.sentences : 0;
}

/**
 * The server cannot see our protocol's client's playback, so it models it: each sentence starts playing
 * when it arrives or when the previous one ends, whichever is later. Caller speech (or a keypad
 * key) once a reply's audio has started, while it is being sent or before the modelled end of its
 * audio, interrupts it. This class holds that model for one stream; it sends nothing itself. On
 * Twilio, which echoes a mark once a sentence's audio has played, what was played is what Twilio
 * confirmed (PlaybackState.twilio), not the model: the history records exactly what was heard.
 */
export class Playback {
  /** The abort signal of the reply an agent is still writing (interruption()). */
  private cut: { turnId: string; controller: AbortController } | undefined;
  private reply: ActiveReply | undefined;

  constructor(
    /** The socket's attachment, where the model of the last reply is kept across hibernation. */
    private readonly state: PlaybackState,
    /** The stored reply text of a turn (the sentences of a hibernated playback). */
    private readonly replyText: (turnId: string) => string | null,
  ) {}

  /** A new reply starts: it replaces whatever was still playing of the last one. */
  begin(turnId: string): void {
    this.reply = { turnId, sentences: [], ends: [], sending: true, committed: false, interrupted: false };
    delete this.state.playback;
  }

  /** A reply stored before it is spoken (Twilio's greeting): an interruption revises the stored text. */
  storedReply(turnId: string): void {
    this.begin(turnId);
    this.committed(turnId);
  }

  /** Whether a sentence of `turnId`'s reply may be sent now (not interrupted, still the current reply). */
  accepts(turnId: string): boolean {
    const reply = this.reply;
    return reply !== undefined && reply.turnId === turnId && !reply.interrupted;
  }

  /**
   * A sentence of the current reply, `durationMs` long, is sent at `now`; with `part`, a piece of a
   * streamed one, which lengthens the sentence the previous "more" piece left open. A piece that
   * arrives after the audio before it ran out starts when it arrives (the client's buffer ran dry).
   */
  sent(turnId: string, sentence: string, durationMs: number, now: number, part?: SentencePart): void {
    const reply = this.reply;
    if (!reply || reply.turnId !== turnId) return;
    const begins = Math.max(now, reply.ends[reply.ends.length - 1] ?? now);
    if (reply.open) reply.ends[reply.ends.length - 1] = begins + durationMs;
    else {
      reply.sentences.push(sentence);
      reply.ends.push(begins + durationMs);
    }
    reply.open = part === "more";
    if (reply.ends.length <= MAX_TRACKED_SENTENCES) this.state.playback = { turnId, ends: [...reply.ends] };
    else delete this.state.playback; // too long to keep: a wake forgets it rather than cut it wrong
  }

  /**
   * Caller speech or a key at `now`: cuts the reply being sent or still playing, and says what of
   * it was played. A reply whose audio has not started (its first sentence is still being
   * synthesised) is not playing yet, so it plays after: nothing is cut.
   */
  bargeIn(now: number): Interruption | undefined {
    const reply = this.current();
    if (!reply || reply.interrupted || reply.ends.length === 0) return undefined;
    const end = reply.ends[reply.ends.length - 1] ?? now;
    if (!reply.sending && now >= end) {
      // Played to the end already.
      this.reply = undefined;
      delete this.state.playback;
      return undefined;
    }
    // A sentence still streaming has not played to its end, even when its audio so far has.
    const complete = reply.open ? reply.ends.length - 1 : reply.ends.length;
    const played = this.state.twilio
      ? Math.min(complete, confirmedSentences(this.state.twilio.played, reply.turnId))
      : reply.ends.slice(0, complete).filter((t) => t <= now).length;
    const spokenText = reply.sentences.slice(0, played).join(" ");
    reply.interrupted = true;
    reply.spokenText = spokenText;
    if (this.cut?.turnId === reply.turnId)
      this.cut.controller.abort(new DOMException("The caller barged in.", "AbortError"));
    delete this.state.playback;
    if (reply.committed) this.reply = undefined;
    return { turnId: reply.turnId, spokenText, revise: reply.committed };
  }

  /** Whether a reply is being sent, or its audio may still be playing at `now` (not interrupted). */
  playing(now: number): boolean {
    const reply = this.current();
    if (!reply || reply.interrupted) return false;
    return reply.sending || now < (reply.ends[reply.ends.length - 1] ?? now);
  }

  interrupted(turnId: string): boolean {
    return this.reply?.turnId === turnId && this.reply.interrupted;
  }

  /**
   * Aborts when `turnId`'s reply is cut: what stops an agent's model and tools at once, rather than
   * at their next step. In memory only: no turn runs across a hibernation.
   */
  interruption(turnId: string): AbortSignal {
    if (this.cut?.turnId !== turnId) this.cut = { turnId, controller: new AbortController() };
    if (this.interrupted(turnId)) this.cut.controller.abort(new DOMException("The caller barged in.", "AbortError"));
    return this.cut.controller.signal;
  }

  /** Every sentence of `turnId`'s reply was sent: whether to say `reply_done` (not after an interruption). */
  done(turnId: string): boolean {
    const reply = this.reply;
    if (reply?.turnId !== turnId) return true;
    reply.sending = false;
    return !reply.interrupted;
  }

  /** What was played, when the reply was interrupted before the turn was stored; else undefined. */
  spokenText(turnId: string): string | undefined {
    return this.reply?.turnId === turnId && this.reply.interrupted ? this.reply.spokenText : undefined;
  }

  /** The turn is stored: an interruption from now on revises the stored reply. */
  committed(turnId: string): void {
    const reply = this.reply;
    if (reply?.turnId !== turnId) return;
    reply.committed = true;
    // Interrupted before it was stored: it was stored as interrupted, nothing left to track.
    if (reply.interrupted) this.reply = undefined;
  }

  /** The reply in memory, or the one a hibernated socket's attachment describes. */
  private current(): ActiveReply | undefined {
    if (this.reply) return this.reply;
    const p = this.state.playback;
    if (!p) return undefined;
    const text = this.replyText(p.turnId) ?? "";
    this.reply = {
      turnId: p.turnId,
      sentences: splitSentences(text),
      ends: p.ends,
      sending: false,
      committed: true,
      interrupted: false,
    };
    return this.reply;
  }
}
