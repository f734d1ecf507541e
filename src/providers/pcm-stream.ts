/**
 * Streamed speech as PCM chunks, shared by every streaming TTS adapter (streaming.ts): the bytes a
 * provider sends (an HTTP body's reader, or a PushSource fed by WebSocket messages) are cut into
 * whole 16-bit samples and handed on as they arrive, never gathered first.
 *
 * Providers and networks split their bytes anywhere, an odd count included, so the byte that
 * starts a sample at the end of one piece is carried over to the next piece: a chunk never holds
 * half a sample, and no sample is read from two halves in the wrong order.
 */
import { pcm16ToSamples } from "../audio/pcm";
import { afterId3, sniffContainer } from "../audio/sniff";
import { WaitDeadline } from "../lib/wait-deadline";
import { ProviderError } from "./errors";
import type { PcmChunk } from "./streaming";

/** Where streamed bytes come from: a ReadableStream's reader, or a PushSource. */
export interface ByteSource {
  read(): Promise<{ done: true; value?: undefined } | { done: false; value: Uint8Array }>;
  /** Stops the provider's side (cancels the body, closes the socket); idempotent. */
  cancel(reason?: unknown): void;
}

/** Little-endian 16-bit PCM pieces of any length in, whole samples out. */
export class PcmAligner {
  private carry: number | undefined;

  push(bytes: Uint8Array): Int16Array | undefined {
    let data = bytes;
    if (this.carry !== undefined && bytes.length > 0) {
      data = new Uint8Array(bytes.length + 1);
      data[0] = this.carry;
      data.set(bytes, 1);
      this.carry = undefined;
    }
    if (data.length % 2 === 1) {
      this.carry = data[data.length - 1];
      data = data.subarray(0, data.length - 1);
    }
    return data.length > 0 ? pcm16ToSamples(data, true) : undefined;
  }
}

/**
 * A ByteSource fed by events (WebSocket messages): pieces queue until read; a failure is read after
 * the pieces that came before it, so audio that arrived before a drop is still played.
 */
export class PushSource implements ByteSource {
  private readonly queue: Uint8Array[] = [];
  private state: "open" | "ended" | "failed" = "open";
  private failure: unknown;
  private wake: (() => void) | undefined;

  constructor(private readonly onCancel: (reason?: unknown) => void) {}

  push(bytes: Uint8Array): void {
    if (this.state !== "open") return;
    this.queue.push(bytes);
    this.wake?.();
  }

  end(): void {
    if (this.state !== "open") return;
    this.state = "ended";
    this.wake?.();
  }

  fail(err: unknown): void {
    if (this.state !== "open") return;
    this.state = "failed";
    this.failure = err;
    this.wake?.();
  }

  async read(): Promise<{ done: true } | { done: false; value: Uint8Array }> {
    for (;;) {
      const next = this.queue.shift();
      if (next) return { done: false, value: next };
      if (this.state === "failed") throw this.failure;
      if (this.state === "ended") return { done: true };
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  cancel(reason?: unknown): void {
    if (this.state !== "open") return;
    this.state = "ended";
    this.queue.length = 0;
    this.onCancel(reason);
    this.wake?.();
  }
}

export interface PcmStreamOptions {
  provider: string;
  sampleRate: number;
  /**
   * Longest wait for the next bytes, the first included, before giving up as retryable. Not a bound
   * on the whole stream: a long text may take longer to speak than any request timeout.
   */
  idleTimeoutMs: number;
  /** The client's signal: aborting it cancels the source and ends the iterator with a ProviderError. */
  signal?: AbortSignal | undefined;
  /**
   * Raw PCM has no signature to check, but a container does: a server that ignored the requested
   * format (a self-hosted one answering WAV or MP3) is refused before its header is played as noise.
   */
  refuseContainers?: boolean;
}

/** The bytes a container signature needs (sniffContainer reads "RIFF....WAVE", "OggS", "ID3"...). */
const SNIFF_BYTES = 12;

const aborted = (provider: string, cause?: unknown) =>
  new ProviderError(provider, "permanent", "request aborted by the client", { cause });

/**
 * Reads `source` into PCM chunks as the bytes arrive. Errors before the first chunk keep their
 * classification; after it, any failure is retryable (the caller falls back to the batch engines for
 * what was not played). Leaving the loop early, failing or aborting cancels the source.
 */
export async function* pcmChunks(source: ByteSource, options: PcmStreamOptions): AsyncGenerator<PcmChunk> {
  const { provider, sampleRate, signal } = options;
  const aligner = new PcmAligner();
  let head: Uint8Array | undefined = options.refuseContainers ? new Uint8Array(0) : undefined;
  let received = 0;
  let yielded = false;
  let complete = false;
  const onAbort = () => source.cancel(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  const idle = idleBound(source, options.idleTimeoutMs, provider);
  try {
    for (;;) {
      if (signal?.aborted) throw aborted(provider, signal.reason);
      let result: Awaited<ReturnType<ByteSource["read"]>>;
      try {
        idle.deadline.begin();
        result = await Promise.race([source.read(), idle.expired]);
        idle.deadline.end();
      } catch (err) {
        if (signal?.aborted) throw aborted(provider, err);
        throw midStream(provider, err, yielded);
      }
      // A cancel on abort ends the read as "done": that is not the end of the speech.
      if (signal?.aborted) throw aborted(provider, signal.reason);
      let bytes = result.done ? new Uint8Array(0) : result.value;
      received += bytes.length;
      if (head) {
        head = concat(head, bytes);
        if (head.length < SNIFF_BYTES && !result.done) continue;
        const sniffed = sniffContainer(head);
        // Only containers with a magic string: PCM often starts like an MPEG frame sync (samples of -1).
        if (sniffed !== "unknown" && (sniffed !== "mp3" || afterId3(head) !== null))
          throw new ProviderError(provider, "invalid_response", `asked for raw PCM, the answer is ${sniffed}`);
        bytes = head;
        head = undefined;
      }
      const samples = aligner.push(bytes);
      if (samples && samples.length > 0) {
        yielded = true;
        yield { samples, sampleRate };
      }
      if (result.done) break;
    }
    complete = true;
    // A trailing odd byte is half a sample: nothing to play, so it is dropped rather than failing audio already heard.
    if (!yielded)
      throw new ProviderError(
        provider,
        "invalid_response",
        received ? `the answer holds no whole sample (${received} bytes)` : "the answer holds no audio",
      );
  } finally {
    idle.deadline.stop();
    signal?.removeEventListener("abort", onAbort);
    if (!complete) source.cancel(signal?.reason);
  }
}

/**
 * The bound on each read: `expired` rejects with a retryable ProviderError (and the source is
 * cancelled) once a read has waited `ms`. The time the consumer holds a chunk does not count.
 */
function idleBound(source: ByteSource, ms: number, provider: string) {
  let fail: (err: ProviderError) => void = () => {};
  const expired = new Promise<never>((_resolve, reject) => (fail = reject));
  // Nobody races it once the stream is over.
  expired.catch(() => {});
  const deadline = new WaitDeadline(ms, () => {
    source.cancel();
    fail(new ProviderError(provider, "retryable", `no audio from the provider for ${ms} ms`));
  });
  return { deadline, expired };
}

/** A failure while reading: kept as classified before the first chunk, retryable after it. */
function midStream(provider: string, err: unknown, yielded: boolean): ProviderError {
  if (err instanceof ProviderError) {
    if (!yielded || err.retryable) return err;
    return new ProviderError(provider, "retryable", `the stream failed after audio was sent: ${bare(err)}`, {
      cause: err,
      ...(err.options.status !== undefined ? { status: err.options.status } : {}),
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ProviderError(provider, "retryable", `the stream was cut off: ${message.slice(0, 200)}`, { cause: err });
}

/** A ProviderError's message without its "<provider>: " prefix, for wrapping it. */
const bare = (err: ProviderError) => err.message.replace(`${err.provider}: `, "");

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
