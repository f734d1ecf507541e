/**
 * The provider socket of one caller utterance (recognizer.ts): which streaming engine hears it,
 * what its socket tells the engine's breaker, and the next engine taking over when it fails.
 *
 * - Choice: the engines come in the caller's order (call-streams.ts: residency, distance, observed
 *   latency, open breakers last). The first whose breaker lets the utterance through serves it, an
 *   open one whose trickle probe is due first (routing/stream-lease.ts, the batch calls' rules).
 * - Health: the engine's entry in the speech registry, the one its batch twin uses. A streaming
 *   engine shares its provider-region name with the batch engine of the same settings
 *   (deepgram@global: same host, same key), so the two share a breaker, as a streamed and a batch
 *   synthesis do (registry.ts ttsChainWithStreams): a refused key or a host that is down fails both,
 *   and each learns from the other. A fault of the streaming endpoint alone also sends the batch
 *   calls elsewhere for a while; the probes bring the provider back within seconds of recovery.
 * - Failover: when the socket fails (refused, a provider error, dropped), the next engine admitted
 *   (never one the utterance already used, nor an open one) opens and hears the utterance's audio
 *   from its pre-roll on, then the live frames; its events are the utterance's from then on, the
 *   failed socket's never again. At most MAX_FAILOVERS_PER_UTTERANCE, and only while the caller is
 *   still in the utterance (the recogniser asks only then); else the batch chain hears it.
 */
import type { ProviderError } from "../../providers/errors";
import type { SttStream, SttStreamEvent, StreamingSpeechToText } from "../../providers/streaming";
import { healthKey } from "../../routing/health-registry";
import { leaseStream, type StreamLease } from "../../routing/stream-lease";

/**
 * Failovers one utterance may make: each costs a handshake and the replay of what was said, and
 * three streaming providers failing one after the other mean streaming is unwell, when the batch
 * chain (its own retries, failover and deadline) is the surer way to the caller's words.
 */
export const MAX_FAILOVERS_PER_UTTERANCE = 2;

export interface SocketOptions {
  language: string;
  sampleRate: number;
  /** Hands work no message waits for (a socket's opening) to the object's waitUntil. */
  background?: ((work: Promise<unknown>) => void) | undefined;
}

/** One engine's socket for the utterance. */
interface Attempt {
  lease: StreamLease<StreamingSpeechToText>;
  startedAt: number;
  stream?: SttStream;
  /** Settles once `open` has handed the stream over (or failed). */
  opening?: Promise<void>;
  /** Audio heard before the socket was handed over (open is async). */
  queued: Int16Array[] | null;
  /** Failed, retired or closed: it takes no more audio. */
  over: boolean;
}

export class UtteranceSocket {
  private attempt: Attempt | undefined;
  private readonly tried = new Set<string>();
  private failovers = 0;

  constructor(
    private readonly engines: readonly StreamingSpeechToText[],
    private readonly options: SocketOptions,
    private readonly onEvent: (event: SttStreamEvent) => void,
  ) {}

  /**
   * Opens the socket on the first engine admitted and sends it `audio` (the utterance so far).
   * False when no engine is admitted: the batch chain hears the utterance.
   */
  start(audio: readonly Int16Array[]): boolean {
    return this.connect(audio);
  }

  /** The engine hearing the utterance (after a failure with no failover: the one that failed). */
  get engine(): StreamingSpeechToText {
    return this.attempt!.lease.provider;
  }

  send(samples: Int16Array): void {
    const a = this.attempt;
    if (!a || a.over) return;
    if (a.stream) a.stream.send(samples);
    else a.queued?.push(samples);
  }

  /** Asks the provider to settle what it heard (its last events come first); see SttStream.finish. */
  async finish(): Promise<void> {
    const a = this.attempt;
    // A socket just failed over to may not be handed over yet: what it heard must not be skipped.
    await a?.opening;
    await a?.stream?.finish();
  }

  /**
   * The socket failed (its error event was reported): the next engine admitted, if the utterance may
   * still fail over, opens with `audio` (the whole utterance so far). Its engine, or undefined.
   */
  failover(audio: readonly Int16Array[]): StreamingSpeechToText | undefined {
    if (this.failovers >= MAX_FAILOVERS_PER_UTTERANCE || !this.connect(audio)) return undefined;
    this.failovers++;
    return this.engine;
  }

  /** The utterance is over: the socket finishes what it heard (later events are ignored) and closes. */
  retire(): void {
    const a = this.attempt;
    if (!a || a.over) return;
    a.over = true;
    const stream = a.stream;
    if (stream) void stream.finish().finally(() => this.end(a));
  }

  /** The stream is closing: the socket goes at once. */
  close(): void {
    const a = this.attempt;
    if (!a) return;
    a.over = true;
    this.end(a);
  }

  private connect(audio: readonly Int16Array[]): boolean {
    // A trickle probe only as the utterance's first choice (as a batch request's goes first): a
    // failover goes to a provider believed healthy, not to one that may still be down.
    const lease = leaseStream(this.engines, { tried: this.tried, mayProbe: this.tried.size === 0 });
    if (!lease) return false;
    const engine = lease.provider;
    this.tried.add(healthKey(engine.name, engine.region));
    const a: Attempt = { lease, startedAt: Date.now(), queued: [...audio], over: false };
    this.attempt = a;
    const options = {
      language: this.options.language,
      sampleRate: this.options.sampleRate,
      onOpen: () => lease.opened(Date.now() - a.startedAt),
    };
    const opened = engine
      .open(options, (event) => this.heard(a, event))
      .then(
        (stream) => {
          a.stream = stream;
          if (a.over) return this.end(a);
          for (const chunk of a.queued ?? []) stream.send(chunk);
          a.queued = null;
        },
        (err: unknown) => this.heard(a, { type: "error", error: err as ProviderError }),
      );
    a.opening = opened;
    // Frames keep arriving meanwhile (queued until it is open): nothing here waits for it.
    this.options.background?.(opened);
    return true;
  }

  private heard(a: Attempt, event: SttStreamEvent): void {
    if (event.type === "error") {
      // Even after the turn was taken: a socket that fails while it finishes still failed.
      a.lease.failed(event.error, Date.now() - a.startedAt);
      const live = !a.over;
      a.over = true;
      a.queued = null;
      if (!live) return;
    }
    if (a === this.attempt) this.onEvent(event);
  }

  private end(a: Attempt): void {
    a.stream?.close();
    // A socket closed before its handshake was answered reports neither: its permit is given back.
    a.lease.abandoned();
  }
}
