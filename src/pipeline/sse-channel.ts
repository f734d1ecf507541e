import { pcm16ToSamples } from "../audio/pcm";
import { encodeWav } from "../audio/wav";
import type { OutputFormat } from "../call/audio-format";
import { bytesToBase64 } from "../lib/base64";
import { concatBytes } from "../lib/bytes";
import { errorMessage, problem } from "../lib/errors";
import { log } from "../observability/log";
import type { ReplyChannel, ReplyOptions, RpcResult, SentencePart, TurnProgress, TurnResult } from "./types";

/**
 * A turn answered over HTTP as Server-Sent Events (`Accept: text/event-stream`; the contract's
 * "Streaming a turn over HTTP"): `transcript`, `tool_call`, `reply_delta`, `audio` (one per
 * sentence, as soon as it is spoken), then `done` with the whole turn result, or `error` with a
 * problem when the turn fails after the stream began.
 *
 * Sentences are synthesised as PCM and sent as the client asked: `wav` (the default) as one small
 * WAV file per sentence, so each plays on its own; `pcm` and `mulaw` as raw samples. (mp3 and ogg
 * are refused for streamed turns by the route: their sentences could not be stored as one file.)
 * HTTP has no barge-in; a client that goes away stops the reply like one (nothing more is spoken).
 */
export class SseTurnChannel implements ReplyChannel {
  readonly readable: ReadableStream<Uint8Array>;
  readonly replyOptions: ReplyOptions;
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  private readonly encoder = new TextEncoder();
  private gone = false;
  private readonly goneSignal = new AbortController();
  private heardTurn: string | undefined;
  private readonly pieces: Uint8Array[] = [];

  constructor(
    reply: ReplyOptions,
    /** The turn's id is only known inside the call; events carry it once it is. */
    private readonly format: Extract<OutputFormat, "wav" | "pcm" | "mulaw"> = "wav",
  ) {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    this.readable = readable;
    this.writer = writable.getWriter();
    this.replyOptions = { ...reply, format: reply.format === "wav" ? "pcm" : reply.format };
  }

  understood(m: Parameters<ReplyChannel["understood"]>[0]): void {
    if (this.heardTurn !== m.turnId) this.progress(m.turnId, { type: "transcript", ...m.transcript });
    if (m.intent) this.event("intent", { turnId: m.turnId, ...m.intent });
    // A flow's reply is known whole: one delta. An agent's went out sentence by sentence already.
    if (this.heardTurn !== m.turnId) this.event("reply_delta", { turnId: m.turnId, text: m.replyText });
  }

  progress(turnId: string, event: TurnProgress): void {
    if (event.type === "transcript") this.heardTurn = turnId;
    const { type, ...data } = event;
    this.event(type, { turnId, ...data });
  }

  audio(turnId: string, _sentence: string, bytes: Uint8Array, part?: SentencePart): void {
    // A streamed sentence is still one `audio` event (one playable WAV each): its pieces are gathered.
    this.pieces.push(bytes);
    if (part === "more") return;
    const whole = concatBytes(this.pieces.splice(0));
    const { sampleRate } = this.replyOptions;
    const body = this.format === "wav" ? encodeWav(pcm16ToSamples(whole, true), sampleRate) : whole;
    this.event("audio", { turnId, format: this.format, sampleRate, base64: bytesToBase64(body) });
  }

  interrupted(): boolean {
    return this.gone;
  }

  interruption(): AbortSignal {
    return this.goneSignal.signal;
  }

  replyDone(): void {}

  spokenText(): string | undefined {
    return undefined;
  }

  committed(): void {}

  /** The last event (`done` with the result, its audio already sent, or `error`), then the end of the stream. */
  async finish(answer: RpcResult<TurnResult>, requestId: string): Promise<void> {
    if ("ok" in answer) {
      const { audio, ...reply } = answer.ok.reply;
      const sent = audio ? { ...reply, audio: { format: this.format, sampleRate: audio.sampleRate } } : reply;
      this.event("done", { ...answer.ok, reply: sent });
    } else {
      const { status, code, detail } = answer.error;
      this.event("error", problem(status, code, detail, requestId));
    }
    await this.writer.close().catch(() => undefined);
  }

  private event(name: string, data: unknown): void {
    if (this.gone) return;
    const frame = this.encoder.encode(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
    // A client that disconnected fails the write: the turn goes on (and is stored), silently.
    this.writer.write(frame).catch(() => {
      this.gone = true;
      this.goneSignal.abort(new DOMException("The client went away.", "AbortError"));
    });
  }
}

/** The format a streamed turn's sentences are sent in (the route refuses mp3 and ogg first). */
export function sseFormat(format: OutputFormat): "wav" | "pcm" | "mulaw" {
  return format === "pcm" || format === "mulaw" ? format : "wav";
}

/** A bug after the stream began still ends it with a problem (500), never a silent cut. */
export function problemAnswer(err: unknown, requestId: string): RpcResult<TurnResult> {
  log(
    "turn_stream_failed",
    { message: errorMessage(err), stack: err instanceof Error ? err.stack : undefined },
    "error",
  );
  const detail = `Something went wrong on our side; quote request id ${requestId} when reporting it.`;
  return { error: { status: 500, code: "internal_error", detail } };
}
