/**
 * Cartesia text to speech, streamed over its WebSocket (https://docs.cartesia.ai/2026-03-01/api-reference/tts/websocket):
 * wss://api.cartesia.ai/tts/websocket, authenticated with the same headers as HTTP (server-side clients
 * may send them on the upgrade: https://docs.cartesia.ai/get-started/authenticate-your-client-applications).
 * One generation request per stream, with its own context_id and `continue: false` (the whole text is
 * known); the answer is `chunk` messages (base64 `data`, here raw pcm_s16le), then `done`, or an `error`.
 * The socket is opened through fetch with `Upgrade: websocket`, workerd's outbound WebSocket
 * (https://developers.cloudflare.com/workers/examples/websockets/), so providerFetch classifies a refused
 * upgrade (401, 429...) exactly as the batch adapter's answers.
 */
import { base64ToBytes } from "../../lib/base64";
import { ProviderError } from "../errors";
import { providerFetch } from "../http";
import { detachedFetcher } from "../http-stream";
import { pcmChunks, PushSource } from "../pcm-stream";
import type { PcmChunk, StreamingTextToSpeech } from "../streaming";
import type { TtsRequest } from "../types";
import { socketError, withCartesiaErrorDetail } from "./errors";
import {
  authHeaders,
  CARTESIA_PROVIDER,
  CARTESIA_VERSION,
  cartesiaRate,
  type CartesiaOptions,
  type CartesiaSettings,
} from "./settings";
import { generationRequest, rawPcmFormat } from "./tts";

const NORMAL_CLOSE = 1000;

export class CartesiaStreamingSynthesizer implements StreamingTextToSpeech {
  readonly name = CARTESIA_PROVIDER;
  readonly region: string;

  constructor(
    private readonly settings: CartesiaSettings,
    private readonly options: CartesiaOptions = {},
  ) {
    this.region = settings.region;
  }

  async *stream(req: TtsRequest, signal?: AbortSignal): AsyncGenerator<PcmChunk> {
    const sampleRate = cartesiaRate(req.sampleRate);
    const contextId = crypto.randomUUID();
    const request = {
      ...generationRequest(this.settings, req, rawPcmFormat(sampleRate)),
      context_id: contextId,
      continue: false,
    };
    const socket = await this.open(signal);
    const source = new PushSource(() => {
      // Tell Cartesia to stop generating for this context, then let the socket go.
      trySend(socket, { context_id: contextId, cancel: true });
      closeQuietly(socket, "cancelled");
    });
    socket.addEventListener("message", (event) => {
      if (typeof event.data !== "string") return;
      let message: Record<string, unknown>;
      try {
        message = JSON.parse(event.data) as Record<string, unknown>;
      } catch {
        source.fail(new ProviderError(CARTESIA_PROVIDER, "invalid_response", "a WebSocket message is not JSON"));
        return;
      }
      if (message.type === "chunk" && typeof message.data === "string") source.push(base64ToBytes(message.data));
      else if (message.type === "error" || typeof message.error === "string")
        source.fail(socketError(message, [this.settings.key]));
      else if (message.type === "done") {
        source.end();
        closeQuietly(socket, "done");
      }
      // "timestamps", "flush_done" and others are not asked for, or carry nothing to play.
    });
    socket.addEventListener("close", (event) =>
      source.fail(
        new ProviderError(
          CARTESIA_PROVIDER,
          "retryable",
          `the WebSocket closed before the speech was done (code ${event.code})`,
        ),
      ),
    );
    socket.addEventListener("error", () =>
      source.fail(new ProviderError(CARTESIA_PROVIDER, "retryable", "the WebSocket failed")),
    );
    socket.send(JSON.stringify(request));
    yield* pcmChunks(source, {
      provider: CARTESIA_PROVIDER,
      sampleRate,
      idleTimeoutMs: this.settings.timeoutMs,
      signal,
    });
  }

  /** The accepted socket; a refused upgrade, a timeout or a network failure as providerFetch classifies them. */
  private async open(signal: AbortSignal | undefined): Promise<WebSocket> {
    let socket: WebSocket | null = null;
    const upstream = new AbortController();
    const upgrade = detachedFetcher(this.options.fetcher, upstream);
    // providerFetch takes 2xx as success: the 101 that carries the socket is handed over as an empty 200.
    const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const res = await upgrade(input, init);
      if (res.status !== 101) return res;
      socket = res.webSocket;
      return new Response(null, { status: 200 });
    }) as typeof fetch;
    const url = new URL(`${this.settings.baseUrl}/tts/websocket`);
    // "For WebSockets, you can alternately use the ?cartesia_version query parameter" (API conventions).
    url.searchParams.set("cartesia_version", CARTESIA_VERSION);
    await providerFetch(
      url.toString(),
      { headers: { ...authHeaders(this.settings), Upgrade: "websocket" } },
      {
        provider: CARTESIA_PROVIDER,
        timeoutMs: this.settings.timeoutMs,
        signal,
        fetcher: withCartesiaErrorDetail(fetcher),
      },
    );
    const accepted = socket as WebSocket | null;
    if (!accepted)
      throw new ProviderError(CARTESIA_PROVIDER, "invalid_response", "the server answered without a WebSocket upgrade");
    accepted.accept();
    return accepted;
  }
}

function trySend(socket: WebSocket, message: unknown): void {
  try {
    socket.send(JSON.stringify(message));
  } catch {
    // Already closing: nothing more to say.
  }
}

function closeQuietly(socket: WebSocket, reason: string): void {
  try {
    socket.close(NORMAL_CLOSE, reason);
  } catch {
    // Already closed.
  }
}
