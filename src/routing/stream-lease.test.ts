/**
 * leaseStream (stream-lease.ts): which provider a streaming session goes to, by the batch calls'
 * breaker rules, and what its socket's outcomes tell the breaker.
 */
import { describe, expect, it } from "vitest";
import { ProviderError } from "../providers/errors";
import { HealthRegistry } from "./health-registry";
import { leaseStream } from "./stream-lease";
import { VirtualClock } from "./test-support";

const p = (name: string) => ({ name, region: "r1" });

function setup() {
  const clock = new VirtualClock();
  const registry = new HealthRegistry({ now: clock.now });
  const breaker = (name: string) => registry.get(name, "r1").breaker;
  return { clock, registry, breaker };
}

const retryable = (name: string) => new ProviderError(name, "retryable", "HTTP 503");

describe("leaseStream", () => {
  it("takes the first provider whose breaker is closed, skipping open ones and those already tried", () => {
    const { registry, breaker } = setup();
    breaker("a").onAuthFailure();
    expect(leaseStream([p("a"), p("b"), p("c")], { registry })?.provider.name).toBe("b");
    const tried = new Set(["b@r1"]);
    expect(leaseStream([p("a"), p("b"), p("c")], { registry, tried })?.provider.name).toBe("c");
    breaker("c").onAuthFailure();
    expect(leaseStream([p("a"), p("b"), p("c")], { registry, tried })).toBeUndefined();
  });

  it("sends one session to an open provider as its trickle probe when due, first; none when probing is spent", () => {
    const { registry, breaker, clock } = setup();
    breaker("b").onAuthFailure();
    clock.advance(5000); // the trickle interval
    const lease = leaseStream([p("a"), p("b")], { registry });
    expect(lease).toMatchObject({ provider: { name: "b" }, probe: "trickle" });
    expect(leaseStream([p("b")], { registry })).toBeUndefined(); // one probe in flight at most
    lease!.opened(120);
    expect(breaker("b").snapshot()).toMatchObject({ state: "closed", probes: { succeeded: 1, inFlight: 0 } });
    breaker("b").onAuthFailure();
    clock.advance(5000);
    expect(leaseStream([p("b")], { registry, mayProbe: false })).toBeUndefined();
  });

  it("settles a refused handshake as a failure (auth: at once), and a failure after the handshake as one more", () => {
    const { registry, breaker } = setup();
    leaseStream([p("a")], { registry })!.failed(new ProviderError("a", "auth", "HTTP 401"), 30);
    expect(breaker("a").state).toBe("open");
    const b = leaseStream([p("b")], { registry })!;
    b.opened(80);
    b.failed(retryable("b"), 4000); // dropped mid-utterance
    b.failed(retryable("b"), 4000); // settled once
    expect(breaker("b").snapshot()).toMatchObject({ calls: 2, failureRate: 0.5, slowRate: 0 });
    // A refused request (a language the model does not hear) says nothing about the provider.
    leaseStream([p("c")], { registry })!.failed(new ProviderError("c", "permanent", "language"), 10);
    expect(breaker("c").snapshot().calls).toBe(0);
    // The handshake is no latency sample; the error rate counts both outcomes.
    expect(registry.get("b", "r1").latency.snapshot()).toEqual({ errorRate: 0.2, samples: 2 });
  });

  it("gives a half-open trial slot back when the session ends before its handshake is answered", () => {
    const { registry, breaker, clock } = setup();
    breaker("a").onAuthFailure();
    clock.advance(30_000); // open → half-open: 3 trial calls
    const leases = [1, 2, 3].map(() => leaseStream([p("a")], { registry, mayProbe: false }));
    expect(leases.every((l) => l?.provider.name === "a")).toBe(true);
    expect(leaseStream([p("a")], { registry, mayProbe: false })).toBeUndefined();
    leases[0]!.abandoned();
    expect(leaseStream([p("a")], { registry, mayProbe: false })?.provider.name).toBe("a");
  });
});
