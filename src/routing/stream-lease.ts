/**
 * The provider of one streaming session (a caller utterance's recognition socket), chosen and
 * judged by the breakers every batch call uses (resilient-call.ts), not by a second set of rules.
 *
 * A session is not a request: it lasts as long as the caller speaks, and what it owes the provider
 * is known in two steps. So its breaker permit (a call, or a trickle probe) is settled by the
 * handshake: accepted, a success (slow when the handshake took the breaker's slow-call time);
 * refused or unanswered, a failure classified as a batch call's would be. The handshake's duration
 * is not a latency sample: the audio is queued meanwhile, so the caller does not wait for it, and
 * in the shared latency average it would make the provider look faster than its batch answers
 * (the ranking of both chains reads it); successes and failures count in its error rate only.
 * A session that fails after its handshake (a provider
 * error, a dropped socket) counts one more failure in a closed breaker's window, as a TTS stream
 * cut after its first chunk does (speak-stream.ts). Sessions are not counted in flight: one open
 * socket is not a request queueing at the provider, and counting it would hold the batch calls'
 * admission for seconds per utterance.
 *
 * No panic probes: when every streaming provider is open, the caller's audio goes to the batch
 * chain, which is an answer, where the batch calls' panic probe stands in for refusing the caller.
 */
import { AudioError } from "../audio/errors";
import { ProviderError } from "../providers/errors";
import { verdict, withTrickleFirst, type Verdict } from "./breaker-probes";
import type { BreakerProbeKind } from "./circuit-breaker";
import { healthKey, healthRegistry, type HealthRegistry, type ProviderHealth } from "./health-registry";

interface Ref {
  readonly name: string;
  readonly region: string;
}

/** One provider's hold on a session, settled by what its socket does. */
export interface StreamLease<P> {
  readonly provider: P;
  /** Set when the session goes to an open breaker as its trickle probe. */
  readonly probe: BreakerProbeKind | undefined;
  /** The provider accepted the socket after `ms`. */
  opened(ms: number): void;
  /** The socket was refused or unanswered, or failed after it opened (`ms`: since the session began). */
  failed(error: unknown, ms: number): void;
  /** The session ended on our side before the handshake was answered: nothing is learned. */
  abandoned(): void;
}

export interface LeaseOptions {
  /** Provider-regions ("name@region") the session already used: not chosen again. */
  tried?: ReadonlySet<string>;
  /** Whether the session may go to an open breaker as its trickle probe (default true). */
  mayProbe?: boolean;
  registry?: HealthRegistry;
}

/**
 * The first provider of `providers` (in the caller's order) whose breaker lets the session through,
 * with an open one whose trickle probe is due tried first (breaker-probes.ts); undefined when none
 * does (all open, half-open with their trial calls taken, or saturated by batch calls).
 */
export function leaseStream<P extends Ref>(
  providers: readonly P[],
  options: LeaseOptions = {},
): StreamLease<P> | undefined {
  const registry = options.registry ?? healthRegistry;
  const fresh = providers.filter((p) => !options.tried?.has(healthKey(p.name, p.region)));
  const mayProbe = options.mayProbe ?? true;
  for (const { provider } of mayProbe ? withTrickleFirst(fresh, registry) : fresh.map((provider) => ({ provider }))) {
    const health = registry.get(provider.name, provider.region);
    if (health.inFlight >= health.capacity) continue;
    if (health.breaker.tryAcquire()) return lease(provider, health, undefined);
    if (mayProbe && health.breaker.tryProbe("trickle")) return lease(provider, health, "trickle");
  }
  return undefined;
}

function lease<P>(provider: P, health: ProviderHealth, probe: BreakerProbeKind | undefined): StreamLease<P> {
  const settle: Verdict = verdict(health.breaker, probe);
  let state: "pending" | "opened" | "over" = "pending";
  let handshakeMs = 0;
  return {
    provider,
    probe,
    opened(ms) {
      if (state !== "pending") return;
      state = "opened";
      handshakeMs = ms;
      settle.success(ms, undefined);
      health.latency.recordUntimedSuccess();
    },
    failed(error, ms) {
      if (state === "over") return;
      const was = state;
      state = "over";
      const refused = error instanceof AudioError || (error instanceof ProviderError && error.kind === "permanent");
      if (was === "pending") {
        // The request's fault (a language the model does not hear, audio it will not take), not the provider's.
        if (refused) return settle.ignored();
        if (error instanceof ProviderError && error.kind === "auth") settle.auth();
        else settle.failure(ms, undefined);
        return health.latency.recordFailure();
      }
      if (refused) return;
      // Its trial or probe was settled by the handshake; a half-open or open breaker is not told twice.
      if (health.breaker.state === "closed") health.breaker.onFailure(handshakeMs);
      health.latency.recordFailure();
    },
    abandoned() {
      if (state === "pending") settle.ignored();
      state = "over";
    },
  };
}
