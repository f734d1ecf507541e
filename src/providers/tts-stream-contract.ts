/**
 * The contract every streaming TTS adapter keeps (streaming.ts), run over each of them by
 * tts-stream-contract.test.ts. Test-only: nothing in the Worker imports it.
 *
 * The adapter is built by its module's own `ttsStream` factory from settings parsed out of vars, as
 * the registry builds it, and talks to a fake provider put on the global fetch: an HTTP body the
 * test feeds piece by piece, or (Cartesia) a WebSocketPair whose server side plays the provider.
 * Per adapter it checks: the request on the wire is the provider's documented one; the first chunk
 * is yielded while the provider is still sending; samples stay whole across odd byte boundaries;
 * error statuses are classified as the batch adapter's are, quoting no credential; a drop mid-stream
 * is retryable; the client's abort, or leaving the loop, cancels the provider's side; silence and
 * empty answers fail as retryable and invalid_response.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { bytesToBase64 } from "../lib/base64";
import { FAILURES, leakedPiece, renderings, type Failure } from "./adapter-contract";
import { ProviderError } from "./errors";
import { readSettings, type ProviderModule } from "./settings";
import type { PcmChunk } from "./streaming";
import type { TtsRequest } from "./types";

/** What the adapter put on the wire: the HTTP request, and for a WebSocket its first message. */
export interface WireRequest {
  method: string;
  url: URL;
  headers: Headers;
  body: string;
  message?: Record<string, unknown>;
}

export interface StreamFixture {
  transport: "http" | "websocket";
  /** The vars and secrets the module reads (the timeout variable is set by the contract). */
  vars: Record<string, string>;
  timeoutVar: string;
  /** Credentials that must never appear in an error. */
  secrets: readonly string[];
  /** The rate the adapter's chunks carry for REQUEST (16 kHz asked). */
  sampleRate: number;
  /** Content-Type of the provider's streamed answer (HTTP). */
  contentType?: string;
  checkRequest(wire: WireRequest): void;
  /** The provider's answer to `failure`, quoting `message` (the request echoed, credentials included). */
  fail(failure: Failure, message: string, headers: Record<string, string>): Response;
}

/** What the test does as the provider, once the adapter's request has arrived. */
export interface ProviderSide {
  send(bytes: Uint8Array): void;
  finish(): void;
  /** The connection is lost mid-answer. */
  drop(): void;
  /** WebSocket only: an `error` message with this status. */
  error?(status: number, message: string): void;
  readonly finished: boolean;
  readonly cancelled: boolean;
}

export const REQUEST: TtsRequest = {
  text: "Your balance is one hundred dollars.",
  language: "en-US",
  sampleRate: 16000,
};

type Script = (side: ProviderSide) => Promise<void> | void;
type Answer = { script: Script } | { fail: Failure } | { hang: true };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Little-endian bytes of `samples`. */
export function pcmBytes(samples: readonly number[]): Uint8Array {
  const out = new Uint8Array(samples.length * 2);
  const view = new DataView(out.buffer);
  samples.forEach((s, i) => view.setInt16(i * 2, s, true));
  return out;
}

/** A ramp of distinct samples, with both extremes, so a misaligned byte shows. */
const SAMPLES = Array.from({ length: 400 }, (_, i) => (i === 7 ? 32767 : i === 8 ? -32768 : ((i * 163) % 30000) - 1));

/** `bytes` cut into pieces of these sizes in turn (odd ones included), the rest in one piece. */
function cut(bytes: Uint8Array, sizes: number[]): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  let at = 0;
  for (const size of sizes) {
    if (at >= bytes.length) break;
    pieces.push(bytes.slice(at, at + size));
    at += size;
  }
  if (at < bytes.length) pieces.push(bytes.slice(at));
  return pieces;
}

const echo = (wire: WireRequest) => {
  const headers = [...wire.headers].map(([k, v]) => `${k}: ${v}`).join(", ");
  return `${headers}; ${wire.method} ${wire.url}; ${wire.body.slice(0, 200)}`;
};

function install(fixture: StreamFixture, answer: Answer) {
  const state = { requests: [] as WireRequest[], side: undefined as ProviderSide | undefined };
  const fetcher = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const signal = init?.signal ?? request.signal;
    const wire: WireRequest = {
      method: request.method,
      url: new URL(request.url),
      headers: request.headers,
      body: request.body ? await request.text() : "",
    };
    state.requests.push(wire);
    if ("hang" in answer)
      return new Promise<Response>((_resolve, reject) =>
        signal?.addEventListener("abort", () => reject(signal.reason ?? new DOMException("aborted", "AbortError"))),
      );
    if ("fail" in answer) {
      const headers: Record<string, string> = answer.fail === "rate_limited" ? { "Retry-After": "7" } : {};
      return fixture.fail(answer.fail, `${FAILURES[answer.fail].says}; the request was: ${echo(wire)}`, headers);
    }
    return fixture.transport === "http"
      ? httpAnswer(fixture, signal, answer.script, state)
      : socketAnswer(wire, answer.script, state);
  };
  vi.spyOn(globalThis, "fetch").mockImplementation(fetcher as typeof fetch);
  return state;
}

function httpAnswer(
  fixture: StreamFixture,
  signal: AbortSignal | null,
  script: Script,
  state: { side?: ProviderSide },
) {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let open = true;
  const side = {
    finished: false,
    cancelled: false,
    send: (bytes: Uint8Array) => open && controller.enqueue(bytes),
    finish() {
      side.finished = true;
      if (open) controller.close();
      open = false;
    },
    drop() {
      if (open) controller.error(new TypeError("Network connection lost."));
      open = false;
    },
  };
  const body = new ReadableStream<Uint8Array>({
    start: (c) => void (controller = c),
    cancel: () => void ((side.cancelled = true), (open = false)),
  });
  signal?.addEventListener("abort", () => {
    side.cancelled = true;
    if (open) controller.error(new DOMException("The operation was aborted.", "AbortError"));
    open = false;
  });
  state.side = side;
  void Promise.resolve(script(side)).catch(() => {});
  return new Response(body, { status: 200, headers: { "Content-Type": fixture.contentType ?? "audio/pcm" } });
}

/** Cartesia's side of the socket: chunk/done/error messages as its WebSocket reference documents them. */
function socketAnswer(wire: WireRequest, script: Script, state: { side?: ProviderSide }) {
  if (wire.headers.get("Upgrade")?.toLowerCase() !== "websocket")
    return new Response("expected an upgrade", { status: 426 });
  const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
  server.accept();
  let context = "";
  let open = true;
  const say = (message: Record<string, unknown>) =>
    open && server.send(JSON.stringify({ context_id: context, ...message }));
  const side: ProviderSide & { finished: boolean; cancelled: boolean } = {
    finished: false,
    cancelled: false,
    send: (bytes) => say({ type: "chunk", data: bytesToBase64(bytes), done: false, status_code: 206, step_time: 12 }),
    finish() {
      side.finished = true;
      say({ type: "done", done: true, status_code: 206 });
    },
    drop() {
      open = false;
      server.close(1011, "lost");
    },
    error: (status, message) =>
      say({ type: "error", done: true, title: "Refused", message, error_code: "refused", status_code: status }),
  };
  server.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data)) as Record<string, unknown>;
    if (message.cancel === true) side.cancelled = true;
    if (wire.message) return;
    wire.message = message;
    context = String(message.context_id);
    state.side = side;
    void Promise.resolve(script(side)).catch(() => {});
  });
  server.addEventListener("close", () => {
    open = false;
    if (!side.finished) side.cancelled = true;
  });
  return new Response(null, { status: 101, webSocket: client });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyModule = ProviderModule<any>;

export function ttsStreamContract(module: AnyModule, fixture: StreamFixture): void {
  const make = module.ttsStream;
  if (!make) throw new Error(`${module.name} has no streaming text-to-speech adapter`);
  const open = (timeoutMs = 5000) => {
    const env = { ...fixture.vars, [fixture.timeoutVar]: String(timeoutMs) } as unknown as Env;
    return make(readSettings(module, env), env);
  };
  const failure = (err: unknown): ProviderError => {
    expect(err, String(err)).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).provider).toBe(module.name);
    for (const text of renderings(err))
      for (const secret of fixture.secrets) expect(leakedPiece(text, secret), text.slice(0, 300)).toBeUndefined();
    return err as ProviderError;
  };
  const drain = async (iterable: AsyncIterable<PcmChunk>, onChunk?: (c: PcmChunk) => void) => {
    const chunks: PcmChunk[] = [];
    try {
      for await (const chunk of iterable) {
        chunks.push(chunk);
        onChunk?.(chunk);
      }
      return { chunks, error: undefined };
    } catch (error) {
      return { chunks, error };
    }
  };
  const joined = (chunks: PcmChunk[]) => chunks.flatMap((c) => [...c.samples]);

  describe(`${module.name} streaming TTS: the streaming contract`, () => {
    afterEach(() => vi.restoreAllMocks());

    it("puts the provider's documented request on the wire", async () => {
      const state = install(fixture, { script: (p) => (p.send(pcmBytes([1, 2])), p.finish()) });
      const { chunks, error } = await drain(open().stream(REQUEST));
      expect(error).toBeUndefined();
      expect(joined(chunks)).toEqual([1, 2]);
      expect(state.requests).toHaveLength(1);
      fixture.checkRequest(state.requests[0]!);
    });

    it("yields the first chunk while the provider is still sending (the rest over two seconds)", async () => {
      const pieces = cut(pcmBytes(SAMPLES), Array(9).fill(80));
      const wire = install(fixture, {
        script: async (p) => {
          p.send(pieces[0]!);
          for (const piece of pieces.slice(1)) {
            await sleep(200);
            p.send(piece);
          }
          p.finish();
        },
      });
      // Set by the fake provider: whether it had sent everything when the first chunk came out.
      let finishedAtFirst: boolean | undefined;
      const tts = open();
      const started = Date.now();
      let firstAfter = 0;
      const { chunks, error } = await drain(tts.stream(REQUEST), () => {
        if (finishedAtFirst !== undefined) return;
        firstAfter = Date.now() - started;
        finishedAtFirst = wire.side?.finished ?? true;
      });
      expect(error).toBeUndefined();
      expect(finishedAtFirst, "the provider had finished before the first chunk was yielded").toBe(false);
      expect(firstAfter).toBeLessThan(1000);
      expect(chunks.length).toBeGreaterThan(1);
      expect(joined(chunks)).toEqual(SAMPLES);
      for (const chunk of chunks) expect(chunk.sampleRate).toBe(fixture.sampleRate);
    }, 10_000);

    it("keeps 16-bit samples whole across odd byte boundaries", async () => {
      const pieces = cut(pcmBytes(SAMPLES), [1, 3, 2, 5, 7, 1, 1, 9, 33, 2, 101]);
      install(fixture, {
        script: async (p) => {
          for (const piece of pieces) {
            p.send(piece);
            await sleep(1);
          }
          p.finish();
        },
      });
      const { chunks, error } = await drain(open().stream(REQUEST));
      expect(error).toBeUndefined();
      expect(joined(chunks)).toEqual(SAMPLES);
    });

    for (const name of ["unauthenticated", "rate_limited", "bad_request"] as const) {
      it(`classifies ${FAILURES[name].says} before any audio as the batch adapter does`, async () => {
        install(fixture, { fail: name });
        const { chunks, error } = await drain(open().stream(REQUEST));
        expect(chunks).toEqual([]);
        expect(failure(error).kind).toBe(FAILURES[name].kind);
      });
    }

    if (fixture.transport === "websocket")
      it("classifies an error message before any audio by its status", async () => {
        install(fixture, { script: (p) => p.error!(401, "Invalid API key") });
        const { error } = await drain(open().stream(REQUEST));
        expect(failure(error).kind).toBe("auth");
      });

    it("throws a retryable error when the connection drops mid-stream, after the audio that came", async () => {
      const sent = SAMPLES.slice(0, 16);
      install(fixture, { script: async (p) => (p.send(pcmBytes(sent)), await sleep(50), p.drop()) });
      const { chunks, error } = await drain(open().stream(REQUEST));
      expect(joined(chunks)).toEqual(sent);
      expect(failure(error).kind).toBe("retryable");
    });

    it("stops reading and cancels the provider's side when the client aborts", async () => {
      const state = install(fixture, {
        script: async (p) => {
          for (let i = 0; i < 50 && !p.cancelled; i++) {
            p.send(pcmBytes(SAMPLES.slice(0, 8)));
            await sleep(40);
          }
        },
      });
      const client = new AbortController();
      const started = Date.now();
      const { chunks, error } = await drain(open().stream(REQUEST, client.signal), () => client.abort());
      expect(chunks).toHaveLength(1);
      expect(failure(error).kind).toBe("permanent");
      expect(Date.now() - started).toBeLessThan(1000);
      await until(() => state.side?.cancelled === true, "the provider's side was never cancelled");
    });

    it("cancels the provider's side when the consumer stops early", async () => {
      const state = install(fixture, {
        script: async (p) => {
          for (let i = 0; i < 50 && !p.cancelled; i++) {
            p.send(pcmBytes(SAMPLES.slice(0, 8)));
            await sleep(40);
          }
        },
      });
      for await (const chunk of open().stream(REQUEST)) if (chunk) break;
      await until(() => state.side?.cancelled === true, "the provider's side was never cancelled");
    });

    it("gives up as retryable when no answer comes within its timeout", async () => {
      install(fixture, { hang: true });
      const { error } = await drain(open(100).stream(REQUEST));
      expect(failure(error).kind).toBe("retryable");
    });

    it("gives up as retryable when the provider goes silent before the first chunk", async () => {
      install(fixture, { script: () => {} });
      const { error } = await drain(open(100).stream(REQUEST));
      expect(failure(error).kind).toBe("retryable");
    });

    it("classifies an answer with no audio as invalid_response", async () => {
      install(fixture, { script: (p) => p.finish() });
      const { error } = await drain(open().stream(REQUEST));
      expect(failure(error).kind).toBe("invalid_response");
    });
  });
}

async function until(condition: () => boolean, message: string, ms = 1000): Promise<void> {
  for (let waited = 0; !condition(); waited += 10) {
    if (waited >= ms) throw new Error(message);
    await sleep(10);
  }
}
