/**
 * One streaming recognition over an outbound WebSocket, the part every provider shares: opening
 * the socket within a timeout, queuing audio until it is open, resampling and framing it, keeping
 * an idle socket alive, the finish handshake, and turning every way the socket can fail into
 * exactly one `error` event. What the provider's frames mean is its SttProtocol (deepgram/, ...).
 *
 * `open` does not wait for the handshake: the caller streams audio from the first frame on, and it
 * is queued meanwhile, so a turn does not lose its first syllables to the connection's round trips.
 * A refused or unanswered upgrade is therefore an `error` event, like every later failure.
 */
import { WaitDeadline } from "../lib/wait-deadline";
import { samplesToPcm16 } from "../audio/pcm";
import { kindForStatus, parseRetryAfter, ProviderError } from "./errors";
import { redactUrl } from "./http";
import { maskSecrets } from "./secrets";
import { ChunkResampler, Framer } from "./stt-socket-audio";
import type { SttStream, SttStreamEvent, SttStreamOptions } from "./streaming";

/** What one provider's frames mean, and what it expects of the client. */
export interface SttProtocol {
  /** One text frame from the provider, as events; an `error` event ends the stream. */
  read(frame: string): SttStreamEvent[];
  /** After a finished stream closed: the turn the provider heard but did not end, if any. */
  flush(): SttStreamEvent[];
  /** Text frames asking the provider to finish what it heard, in order. */
  finishFrames: readonly string[];
  /** A text frame that keeps an idle socket open, sent every KEEP_ALIVE_MS without audio. */
  keepAlive?: string;
  /** Audio frame bounds in samples at the socket's rate, where the provider has them. */
  frame?: { min: number; max: number };
  /** What a close the client did not ask for means (see unexpectedClose). */
  closeError(code: number, reason: string): ProviderError;
}

/** The answer to a WebSocket upgrade: `webSocket` is set when the provider accepted it. */
export type SocketOpener = (signal: AbortSignal) => Promise<Response>;

export interface SocketStreamConfig {
  provider: string;
  protocol: SttProtocol;
  open: SocketOpener;
  /** The URL the socket goes to (quoted in messages with its secrets redacted). */
  url: string;
  /** Credentials the request carries, masked out of anything quoted from the provider. */
  secrets: readonly string[];
  /** The rate the socket was opened with; audio is resampled to it. */
  socketRate: number;
  /** Bound on the upgrade and on the finish handshake. */
  timeoutMs: number;
  /** Readable text from a refused upgrade's body (a provider's JSON error shape). */
  describeRefusal?: (body: string, res: Response) => string;
  /** Classifies what `open` threw (default: a network failure, retryable). */
  classifyOpenError?: (err: unknown) => ProviderError;
}

/** Deepgram closes a socket that got neither audio nor KeepAlive for 10 s (NET-0001); 3-5 s is advised. */
export const KEEP_ALIVE_MS = 4000;

/** Close codes that mean the client sent something the provider will not take (RFC 6455 §7.4.1). */
const REFUSED_CLOSES = new Set([1002, 1003, 1007, 1008, 1009, 1010]);

/** A close nobody asked for: refused input is permanent; anything else (1000, 1001, 1006, 1011...) retryable. */
export function unexpectedClose(provider: string, code: number, reason: string): ProviderError {
  const why = reason ? `: ${reason}` : "";
  const what = code === 1006 ? "the connection dropped" : `the provider closed the stream (${code}${why})`;
  return new ProviderError(provider, REFUSED_CLOSES.has(code) ? "permanent" : "retryable", what, { status: code });
}

export function openSocketStream(
  config: SocketStreamConfig,
  options: SttStreamOptions,
  onEvent: (event: SttStreamEvent) => void,
): SttStream {
  return new SocketStream(config, options, onEvent);
}

class SocketStream implements SttStream {
  private ws: WebSocket | null = null;
  /** Audio frames waiting for the socket to open. */
  private queue: Uint8Array[] = [];
  /** No event goes out once this is set: the stream failed, finished or was closed. */
  private done = false;
  private finishing = false;
  private finished: Promise<void> | null = null;
  private resolveFinished: () => void = () => {};
  /** Audio or a KeepAlive begins a wait; one lasting KEEP_ALIVE_MS sends the provider's KeepAlive. */
  private keepAlive: WaitDeadline | null = null;
  private finishTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly connecting = new AbortController();
  private readonly resampler: ChunkResampler;
  private readonly framer: Framer;
  private readonly onAbort = () => this.close();

  constructor(
    private readonly config: SocketStreamConfig,
    private readonly options: SttStreamOptions,
    private readonly onEvent: (event: SttStreamEvent) => void,
  ) {
    this.resampler = new ChunkResampler(options.sampleRate, config.socketRate);
    this.framer = new Framer(config.protocol.frame?.min, config.protocol.frame?.max);
    if (options.signal?.aborted) {
      this.done = true;
      return;
    }
    options.signal?.addEventListener("abort", this.onAbort, { once: true });
    void this.connect();
  }

  send(samples: Int16Array): void {
    if (this.done || this.finishing || !samples.length) return;
    for (const frame of this.framer.push(this.resampler.push(samples))) this.deliver(frame);
  }

  finish(): Promise<void> {
    if (this.finished) return this.finished;
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
    if (this.done) {
      this.resolveFinished();
      return this.finished;
    }
    for (const frame of this.framer.push(this.resampler.flush())) this.deliver(frame);
    for (const frame of this.framer.flush()) this.deliver(frame);
    this.finishing = true;
    if (this.ws) this.sendFinish();
    // A provider that never closes must not hold the caller: what it said so far is all there is.
    this.finishTimer = setTimeout(() => this.end(this.config.protocol.flush(), 1000), this.config.timeoutMs);
    return this.finished;
  }

  close(): void {
    this.end([], 1000);
  }

  private async connect(): Promise<void> {
    const { timeoutMs, url } = this.config;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const timedOut = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), timeoutMs)));
    let res: Response | "timeout";
    try {
      const opening = this.config.open(this.connecting.signal);
      opening.catch(() => {}); // lost to the timeout: nobody else awaits it
      res = await Promise.race([opening, timedOut]);
    } catch (err) {
      if (this.done) return;
      this.fail(this.config.classifyOpenError?.(err) ?? this.networkError(err));
      return;
    } finally {
      clearTimeout(timer);
    }
    if (res === "timeout") {
      this.connecting.abort();
      this.fail(
        new ProviderError(
          this.config.provider,
          "retryable",
          `no answer to the WebSocket upgrade from ${redactUrl(url)} within ${timeoutMs} ms`,
        ),
      );
      return;
    }
    const ws = res.webSocket;
    if (!ws) {
      this.fail(await this.refusal(res));
      return;
    }
    ws.accept();
    if (this.done) {
      ws.close(1000, "closed by the client");
      return;
    }
    ws.addEventListener("message", (event) => this.onMessage(event.data));
    ws.addEventListener("close", (event) => this.onClose(event.code, event.reason));
    ws.addEventListener("error", () => this.fail(unexpectedClose(this.config.provider, 1006, "")));
    this.ws = ws;
    for (const frame of this.queue) ws.send(frame);
    this.queue = [];
    this.startKeepAlive();
    if (this.finishing) this.sendFinish();
    this.options.onOpen?.();
  }

  private deliver(samples: Int16Array): void {
    const bytes = samplesToPcm16(samples, true);
    if (!this.ws) {
      this.queue.push(bytes);
      return;
    }
    this.ws.send(bytes);
    // No timer per frame: the deadline's one timer checks how long ago the last audio went.
    this.keepAlive?.begin();
  }

  private sendFinish(): void {
    this.keepAlive?.stop();
    for (const frame of this.config.protocol.finishFrames) this.ws?.send(frame);
  }

  /** With no audio for KEEP_ALIVE_MS, the provider's KeepAlive goes (again every KEEP_ALIVE_MS). */
  private startKeepAlive(): void {
    const keepAlive = this.config.protocol.keepAlive;
    if (!keepAlive || this.finishing) return;
    this.keepAlive = new WaitDeadline(KEEP_ALIVE_MS, () => {
      if (this.done || this.finishing) return;
      this.ws?.send(keepAlive);
      this.keepAlive?.begin();
    });
    this.keepAlive.begin();
  }

  private onMessage(data: unknown): void {
    if (this.done || typeof data !== "string") return; // binary frames carry nothing for recognition
    for (const event of this.config.protocol.read(data)) {
      if (this.done) return;
      if (event.type === "error") {
        this.fail(this.masked(event.error));
        return;
      }
      this.onEvent(event);
    }
  }

  private onClose(code: number, reason: string): void {
    if (this.done) return;
    // 1005: no status in the close frame, which is how Flux ends a stream after CloseStream.
    if (this.finishing && (code === 1000 || code === 1005)) {
      this.end(this.config.protocol.flush(), 1000);
      return;
    }
    this.fail(this.masked(this.config.protocol.closeError(code, reason)));
  }

  /** Ends the stream with `events` as its last; nothing is reported after. */
  private end(events: SttStreamEvent[], code: number): void {
    if (this.done) return;
    for (const event of events) this.onEvent(event);
    this.stop(code);
  }

  private fail(error: ProviderError): void {
    if (this.done) return;
    this.onEvent({ type: "error", error });
    this.stop(1000);
  }

  private stop(code: number): void {
    this.done = true;
    this.queue = [];
    this.keepAlive?.stop();
    clearTimeout(this.finishTimer);
    this.options.signal?.removeEventListener("abort", this.onAbort);
    this.connecting.abort();
    try {
      this.ws?.close(code);
    } catch {
      // Already closed by the provider.
    }
    this.resolveFinished();
  }

  private async refusal(res: Response): Promise<ProviderError> {
    const body = await res.text().catch(() => "");
    const detail = this.mask((this.config.describeRefusal?.(body, res) ?? body.trim()).slice(0, 1000)).slice(0, 500);
    const retryAfterMs = parseRetryAfter(res.headers.get("Retry-After"));
    const upgraded = res.status >= 400;
    return new ProviderError(
      this.config.provider,
      upgraded ? kindForStatus(res.status) : "retryable",
      `${upgraded ? `HTTP ${res.status}` : `no WebSocket (HTTP ${res.status})`} from ` +
        `${redactUrl(this.config.url)}${detail ? `: ${detail}` : ""}`,
      { status: res.status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) },
    );
  }

  private networkError(err: unknown): ProviderError {
    const message = err instanceof Error ? err.message : String(err);
    return new ProviderError(
      this.config.provider,
      "retryable",
      // No `cause`: the raw error may quote the request, and only its masked message is kept.
      `network error opening ${redactUrl(this.config.url)}: ${this.mask(message)}`,
    );
  }

  private mask(text: string): string {
    return maskSecrets(text, this.config.secrets);
  }

  /** A provider's words quoted in an error are masked like any other quote (a proxy may echo the request). */
  private masked(error: ProviderError): ProviderError {
    const prefix = `${error.provider}: `;
    const message = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
    const clean = this.mask(message);
    return clean === message ? error : new ProviderError(error.provider, error.kind, clean, error.options);
  }
}
