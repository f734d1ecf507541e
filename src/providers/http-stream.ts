/**
 * Streamed synthesis over HTTP (OpenAI, Deepgram, Azure, ElevenLabs): the request goes through
 * providerFetch, so everything before the first byte (timeouts, network failures, error statuses,
 * masked secrets) is classified exactly as for the batch adapters; the body is then read chunk by
 * chunk with pcmChunks.
 */
import { ProviderError } from "./errors";
import { providerFetch } from "./http";
import { pcmChunks, type ByteSource } from "./pcm-stream";
import type { PcmChunk } from "./streaming";

/**
 * A fetch whose request, body included, is aborted by `upstream` alone. providerFetch's own signal
 * (its timeout joined with the client's) is honoured only until the headers arrive: that timeout is
 * meant for a whole batch answer, and must not cut a long stream short once audio is flowing (the
 * stream has its own wait-per-chunk bound, and the client's abort cancels it).
 */
export function detachedFetcher(inner: typeof fetch | undefined, upstream: AbortController): typeof fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const headersSignal = init?.signal ?? undefined;
    const forward = () => upstream.abort(headersSignal?.reason);
    if (headersSignal?.aborted) forward();
    else headersSignal?.addEventListener("abort", forward, { once: true });
    try {
      // The global fetch is looked up per call, so a stubbed one (tests) is the one used.
      return await (inner ?? fetch)(input, { ...init, signal: upstream.signal });
    } finally {
      headersSignal?.removeEventListener("abort", forward);
    }
  }) as typeof fetch;
}

export interface HttpPcmRequest {
  provider: string;
  url: string;
  init: RequestInit;
  /** The provider's timeout setting: until the headers arrive, then between pieces of audio. */
  timeoutMs: number;
  sampleRate: number;
  signal?: AbortSignal | undefined;
  /** Injected in tests; the global fetch otherwise. */
  fetcher?: typeof fetch | undefined;
  /** The provider's fetch decoration (its error-body rewriting, errors.ts). */
  decorate?: (fetcher: typeof fetch) => typeof fetch;
  /** The provider's reclassification of providerFetch's errors (errors.ts), as its batch adapter applies it. */
  reclassify?: (err: unknown) => never;
  refuseContainers?: boolean;
  /** Checks on the request (empty text, limits) that throw before anything is sent, on the first read. */
  check?: () => void;
}

/** Media types an error page or document is served as, never audio. */
const NOT_AUDIO = /^(text\/|application\/(json|xml|problem|xhtml))/i;

export async function* streamHttpPcm(req: HttpPcmRequest): AsyncGenerator<PcmChunk> {
  req.check?.();
  const upstream = new AbortController();
  const fetcher = detachedFetcher(req.fetcher, upstream);
  let res: Response;
  try {
    res = await providerFetch(req.url, req.init, {
      provider: req.provider,
      timeoutMs: req.timeoutMs,
      signal: req.signal,
      fetcher: req.decorate ? req.decorate(fetcher) : fetcher,
    });
  } catch (err) {
    upstream.abort();
    if (req.reclassify) req.reclassify(err);
    throw err;
  }
  const contentType = res.headers.get("Content-Type") ?? "";
  if (!res.body || NOT_AUDIO.test(contentType)) {
    upstream.abort();
    await res.body?.cancel().catch(() => {});
    throw new ProviderError(
      req.provider,
      "invalid_response",
      res.body ? `200 answer is not audio: Content-Type is ${contentType.slice(0, 60)}` : "200 answer has no body",
    );
  }
  yield* pcmChunks(readerSource(res.body, upstream), {
    provider: req.provider,
    sampleRate: req.sampleRate,
    idleTimeoutMs: req.timeoutMs,
    signal: req.signal,
    refuseContainers: req.refuseContainers,
  });
}

/** A body's reader as a ByteSource; cancelling it also aborts the request, so the connection is let go. */
export function readerSource(body: ReadableStream<Uint8Array>, upstream?: AbortController): ByteSource {
  const reader = body.getReader();
  let cancelled = false;
  return {
    read: () => reader.read() as ReturnType<ByteSource["read"]>,
    cancel(reason?: unknown) {
      if (cancelled) return;
      cancelled = true;
      reader.cancel(reason).catch(() => {});
      upstream?.abort(reason);
    },
  };
}
