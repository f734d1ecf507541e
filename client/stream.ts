/**
 * Live call stream client: one WebSocket to GET /api/v1/calls/{callId}/stream?token=..., JSON text
 * messages for control and events, binary messages for audio (src/stream/protocol.ts is the wire
 * contract; its types are imported here, never copied).
 *
 *   const stream = await openCallStream({ baseUrl, callId, token, start: { format: "pcm16", sampleRate: 16000 } });
 *   stream.on("transcript", (m) => console.log(m.final ? "caller:" : "…", m.text));
 *   stream.on("reply", (m) => console.log("agent:", m.text));
 *   stream.on("audio", (pcm) => player.enqueue(pcm)); // reply audio, ArrayBuffer in the start format
 *   stream.sendAudio(frame);                         // caller audio, e.g. 20 ms of pcm16
 *   stream.stop();                                   // server answers `ended` and closes
 *
 * Only types come from the protocol module, so this file (and the browser bundle) stays free of zod.
 */
import type { CLOSE, ClientMessage, ReadyMessage, ServerMessage, StartMessage } from "../src/stream/protocol";
import { VoiceEdgeError } from "./errors";

export type { ClientMessage, ServerMessage, StartMessage } from "../src/stream/protocol";

/**
 * What `start` takes: format and sample rate; `reply` and each `vad` and `bargeIn` field fall back to
 * the server's defaults.
 */
export type StartOptions = Omit<StartMessage, "type" | "reply" | "vad" | "bargeIn"> & {
  reply?: StartMessage["reply"];
  vad?: Partial<StartMessage["vad"]>;
  bargeIn?: Partial<StartMessage["bargeIn"]>;
};

/** Answer of POST /api/v1/calls/{callId}/stream-token: single use, short-lived. */
export interface StreamToken {
  token: string;
  expiresAt: string;
}

/** The fields this client reads from a socket's events (message: data; close: code, reason, wasClean). */
export interface SocketEvent {
  readonly type: string;
  readonly data?: unknown;
  readonly code?: number;
  readonly reason?: string;
  readonly wasClean?: boolean;
}

/** The part of a WebSocket this client uses: the browser's, Node's (22+) and workerd's all fit. */
export interface WebSocketLike {
  binaryType: "blob" | "arraybuffer";
  readonly readyState: number;
  send(data: string | ArrayBuffer | ArrayBufferView<ArrayBuffer>): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: "open" | "message" | "close" | "error", listener: (event: SocketEvent) => void): void;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface StreamClose {
  code: number;
  reason: string;
  wasClean: boolean;
}

type ServerMessageEvents = { [M in ServerMessage as M["type"]]: M };
/**
 * Events of a CallStream: one per server message type (`ready`, `transcript`, `reply`, `error`,
 * `ended`, ...; `error` is the server's problem message), plus every JSON message as `message`,
 * reply audio as `audio` and the socket's end as `close`.
 */
export type CallStreamEvents = ServerMessageEvents & {
  message: ServerMessage;
  audio: ArrayBuffer;
  close: StreamClose;
};
export type CallStreamEventName = keyof CallStreamEvents;

export interface OpenCallStreamOptions {
  /** Origin (and optional path prefix) of the Worker; "" or a path resolves against the page's location. */
  baseUrl: string;
  callId: string;
  /** A stream token from POST /api/v1/calls/{callId}/stream-token (what a browser should use). */
  token?: string;
  /** Or an API key (scope calls:write): a token is fetched with it first. Keep keys out of browsers. */
  apiKey?: string;
  /** Audio format of both directions; default pcm16 at 16 kHz with spoken replies. */
  start?: StartOptions;
  /** WebSocket constructor; default globalThis.WebSocket. */
  WebSocket?: WebSocketConstructor;
  /** fetch for the token request; default globalThis.fetch. */
  fetch?: (request: Request) => Promise<Response>;
  /** How long to wait for `ready` before giving up, ms (default 15000). */
  readyTimeoutMs?: number;
}

type Close = typeof CLOSE;
/** Close codes that mean something to a caller (the values are checked against protocol.ts's CLOSE). */
const CLOSE_NOT_FOUND: Close["notFound"] = 4404;
const CLOSE_CALL_ENDED: Close["callEnded"] = 4410;
const CLOSE_NORMAL: Close["normal"] = 1000;
const OPEN = 1;
const ERROR_CLOSE_GRACE_MS = 250;

type Listener<K extends CallStreamEventName> = (event: CallStreamEvents[K]) => void;

/** One live stream. Made by openCallStream, which resolves once the server has answered `ready`. */
export class CallStream {
  private readyMessage: ReadyMessage | undefined;
  /** Settles when the socket has closed (never rejects). */
  readonly closed: Promise<StreamClose>;
  readonly callId: string;

  private readonly listeners = new Map<CallStreamEventName, Set<(event: never) => void>>();
  /** Incoming messages in arrival order (a Blob, if a platform ignores binaryType, is read first). */
  private inbox: Promise<void> = Promise.resolve();
  private closeInfo: StreamClose | undefined;
  private finished = false;
  private resolveClosed!: (close: StreamClose) => void;

  constructor(
    private readonly socket: WebSocketLike,
    callId: string,
  ) {
    this.callId = callId;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    socket.binaryType = "arraybuffer";
    socket.addEventListener("message", (event) => {
      const data = event.data;
      // A failed Blob read drops that frame only; the chain goes on.
      this.inbox = this.inbox.then(() => this.receive(data)).catch(() => undefined);
    });
    socket.addEventListener("close", (event) => {
      this.finish({ code: event.code ?? 1005, reason: event.reason ?? "", wasClean: event.wasClean ?? false });
    });
    // Browsers follow `error` with `close`; Node's WebSocket (undici) may not when the connection
    // fails, so a socket still not open shortly after an error counts as closed (1006, abnormal).
    socket.addEventListener("error", () => {
      setTimeout(() => {
        if (socket.readyState !== OPEN) this.finish({ code: 1006, reason: "connection failed", wasClean: false });
      }, ERROR_CLOSE_GRACE_MS);
    });
  }

  private finish(close: StreamClose): void {
    if (this.finished) return;
    this.finished = true;
    this.inbox = this.inbox.then(() => {
      this.closeInfo = close;
      this.emit("close", close);
      this.resolveClosed(close);
    });
  }

  /**
   * The server's answer to `start`: effective format, sample rate and VAD settings (set before openCallStream
   * resolves).
   */
  get ready(): ReadyMessage | undefined {
    return this.readyMessage;
  }

  /** Whether messages can be sent now. */
  get isOpen(): boolean {
    return this.closeInfo === undefined && this.socket.readyState === OPEN;
  }

  /** Adds a listener; returns a function that removes it. */
  on<K extends CallStreamEventName>(type: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(listener as (event: never) => void);
    return () => this.off(type, listener);
  }

  off<K extends CallStreamEventName>(type: K, listener: Listener<K>): void {
    this.listeners.get(type)?.delete(listener as (event: never) => void);
  }

  /** The next event of a type; rejects (code `stream_closed`) if the stream closes first. */
  once<K extends CallStreamEventName>(type: K): Promise<CallStreamEvents[K]> {
    return new Promise((resolve, reject) => {
      if (this.closeInfo && type !== "close") return reject(closedError(this.closeInfo));
      const offEvent = this.on(type, (event) => {
        offEvent();
        offClose();
        resolve(event);
      });
      const offClose =
        type === "close"
          ? () => undefined
          : this.on("close", (close) => {
              offEvent();
              offClose();
              reject(closedError(close));
            });
    });
  }

  /** Sends one frame of caller audio in the `start` format. Returns false (and drops it) once the stream is closed. */
  sendAudio(frame: ArrayBuffer | ArrayBufferView<ArrayBuffer>): boolean {
    return this.transmit(frame);
  }

  /** A typed caller turn. */
  sendText(text: string): boolean {
    return this.send({ type: "text", text });
  }

  /** Keypad keys (0-9, *, #, A-D). */
  sendDtmf(digits: string): boolean {
    return this.send({ type: "dtmf", digits: digits.toUpperCase() });
  }

  /** Ends the caller's side: the server answers `ended` and closes (await `closed`). */
  stop(): boolean {
    return this.send({ type: "stop" });
  }

  /** Sends a protocol message as it is (text, dtmf, stop; `start` was sent by openCallStream). */
  send(message: Exclude<ClientMessage, StartMessage>): boolean {
    return this.transmit(JSON.stringify(message));
  }

  /** Closes the socket without `stop` (the call stays active until it ends or idles out). */
  close(code: number = CLOSE_NORMAL, reason = ""): void {
    this.socket.close(code, reason);
  }

  /** @internal Sends `start` (openCallStream does, once the socket is open). */
  sendStart(start: StartOptions): boolean {
    return this.transmit(JSON.stringify({ type: "start", ...start }));
  }

  private transmit(data: string | ArrayBuffer | ArrayBufferView<ArrayBuffer>): boolean {
    if (!this.isOpen) return false;
    this.socket.send(data);
    return true;
  }

  private async receive(data: unknown): Promise<void> {
    if (typeof data === "string") {
      let message: ServerMessage;
      try {
        message = JSON.parse(data) as ServerMessage;
      } catch {
        return; // not JSON: nothing a client can act on
      }
      if (typeof message !== "object" || message === null || typeof message.type !== "string") return;
      if (message.type === "ready") this.readyMessage = message;
      this.emit("message", message);
      // Server messages are open: an unknown type reaches `message` listeners only.
      this.emit(message.type, message as never);
      return;
    }
    const audio = await toArrayBuffer(data);
    if (audio) this.emit("audio", audio);
  }

  private emit<K extends CallStreamEventName>(type: K, event: CallStreamEvents[K]): void {
    for (const listener of [...(this.listeners.get(type) ?? [])]) {
      try {
        (listener as Listener<K>)(event);
      } catch (err) {
        // A listener's bug must not stop the others or the stream; it still surfaces as an uncaught error.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}

async function toArrayBuffer(data: unknown): Promise<ArrayBuffer | null> {
  if (data instanceof ArrayBuffer) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice().buffer;
  if (typeof Blob !== "undefined" && data instanceof Blob) return data.arrayBuffer();
  return null;
}

function closedError(close: StreamClose): VoiceEdgeError {
  const reason = close.reason ? `: ${close.reason}` : "";
  if (close.code === CLOSE_NOT_FOUND)
    return new VoiceEdgeError({ status: 404, code: "call_not_found", detail: `No such call for this key${reason}` });
  if (close.code === CLOSE_CALL_ENDED)
    return new VoiceEdgeError({ status: 410, code: "call_ended", detail: `The call has ended${reason}` });
  return new VoiceEdgeError({
    status: 0,
    code: "stream_closed",
    detail: `The stream closed (WebSocket code ${close.code}${reason})`,
  });
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}

/** Resolves "" or a path against the page's location (browsers); an absolute URL as it is. */
function absoluteUrl(url: string): URL {
  const here = (globalThis as { location?: { href: string } }).location?.href;
  return here === undefined ? new URL(url) : new URL(url, here);
}

/** The stream's ws:/wss: URL with its token. */
export function callStreamUrl(baseUrl: string, callId: string, token: string): string {
  const url = absoluteUrl(`${trimSlash(baseUrl)}/api/v1/calls/${encodeURIComponent(callId)}/stream`);
  if (url.protocol === "https:") url.protocol = "wss:";
  else if (url.protocol === "http:") url.protocol = "ws:";
  url.searchParams.set("token", token);
  return url.href;
}

/** POST /api/v1/calls/{callId}/stream-token with an API key (scope calls:write). */
export async function fetchStreamToken(options: {
  baseUrl: string;
  apiKey: string;
  callId: string;
  fetch?: ((request: Request) => Promise<Response>) | undefined;
}): Promise<StreamToken> {
  const doFetch = options.fetch ?? ((request: Request) => globalThis.fetch(request));
  const url = absoluteUrl(
    `${trimSlash(options.baseUrl)}/api/v1/calls/${encodeURIComponent(options.callId)}/stream-token`,
  );
  const response = await doFetch(
    new Request(url, { method: "POST", headers: { Authorization: `Bearer ${options.apiKey}` } }),
  );
  if (!response.ok) throw await VoiceEdgeError.fromFetchResponse(response);
  return (await response.json()) as StreamToken;
}

/**
 * Opens a call's live stream: gets a token (when given an API key), connects, sends `start`, and
 * resolves once the server answers `ready`. Rejects with VoiceEdgeError when the token request
 * fails, the server refuses `start` (its `error` message), or the socket closes first.
 */
export async function openCallStream(options: OpenCallStreamOptions): Promise<CallStream> {
  const { baseUrl, callId } = options;
  let token = options.token;
  if (token === undefined) {
    if (options.apiKey === undefined)
      throw new TypeError("openCallStream needs a stream token (or an apiKey to get one)");
    token = (await fetchStreamToken({ baseUrl, callId, apiKey: options.apiKey, fetch: options.fetch })).token;
  }
  const Ctor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!Ctor) throw new TypeError("No WebSocket on this platform; pass one as options.WebSocket");
  const socket = new Ctor(callStreamUrl(baseUrl, callId, token));
  const stream = new CallStream(socket, callId);
  const start = options.start ?? { format: "pcm16", sampleRate: 16000 };
  socket.addEventListener("open", () => stream.sendStart(start));

  const timeoutMs = options.readyTimeoutMs ?? 15_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let offError = () => {};
  try {
    await Promise.race([
      stream.once("ready"),
      new Promise<never>((_, reject) => {
        offError = stream.on("error", (m) =>
          reject(new VoiceEdgeError({ status: m.status, code: m.code, title: m.title, detail: m.detail })),
        );
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new VoiceEdgeError({
                status: 0,
                code: "stream_timeout",
                detail: `No answer to start within ${timeoutMs} ms`,
              }),
            ),
          timeoutMs,
        );
      }),
    ]);
  } catch (err) {
    stream.close();
    throw err;
  } finally {
    offError();
    if (timer !== undefined) clearTimeout(timer);
  }
  return stream;
}
