import { describe, expect, it } from "vitest";
import { BREAKER_DEFAULTS, CircuitBreaker, type BreakerTransition } from "./circuit-breaker";

function breaker(options: Partial<ConstructorParameters<typeof CircuitBreaker>[0]> = {}) {
  let t = 0;
  const transitions: BreakerTransition[] = [];
  const b = new CircuitBreaker({ now: () => t, onTransition: (x) => transitions.push(x), ...options });
  return {
    b,
    transitions,
    advance: (ms: number) => {
      t += ms;
    },
    /** One permitted call with the given outcome. */
    call(outcome: "ok" | "fail" | "slow" | "auth" | "ignored", ms = 10) {
      expect(b.tryAcquire()).toBe(true);
      if (outcome === "ok") b.onSuccess(ms);
      else if (outcome === "slow") b.onSuccess(5000);
      else if (outcome === "fail") b.onFailure(ms);
      else if (outcome === "auth") b.onAuthFailure();
      else b.onIgnored();
    },
  };
}

describe("CircuitBreaker", () => {
  it("has voice-sized defaults", () => {
    expect(BREAKER_DEFAULTS).toEqual({
      windowSize: 20,
      minCalls: 5,
      failureRateThreshold: 0.5,
      slowCallMs: 2500,
      slowCallRateThreshold: 0.8,
      openMs: 30_000,
      halfOpenCalls: 3,
      probeIntervalMs: 5000,
      panicProbeIntervalMs: 1000,
      maxProbesInFlight: 1,
    });
  });

  it("stays closed below minCalls, then opens when the failure rate reaches the threshold", () => {
    const { b, call, transitions } = breaker();
    for (let i = 0; i < 4; i++) call("fail");
    expect(b.state).toBe("closed"); // 4 calls: too few to judge
    call("ok");
    expect(b.state).toBe("open"); // 4/5 = 80% ≥ 50%
    expect(transitions).toEqual([{ from: "closed", to: "open", at: 0, reason: "failure_rate" }]);
  });

  it("stays closed while the failure rate is under the threshold", () => {
    const { b, call } = breaker();
    for (let i = 0; i < 40; i++) call(i % 3 === 0 ? "fail" : "ok"); // 33%
    expect(b.snapshot()).toMatchObject({ state: "closed", calls: 20 });
    expect(b.snapshot().failureRate).toBeCloseTo(7 / 20);
  });

  it("judges only the last windowSize calls", () => {
    const { b, call } = breaker({ windowSize: 4, minCalls: 4 });
    call("fail");
    for (let i = 0; i < 4; i++) call("ok");
    expect(b.snapshot()).toMatchObject({ calls: 4, failureRate: 0 });
    call("fail");
    call("ok");
    expect(b.state).toBe("closed"); // window [ok, ok, fail, ok]: 25%
    call("fail");
    expect(b.state).toBe("open"); // [ok, fail, ok, fail]: 50%
  });

  it("rejects calls while open and tells how long until trial calls", () => {
    const { b, call, advance } = breaker();
    for (let i = 0; i < 5; i++) call("fail");
    expect(b.tryAcquire()).toBe(false);
    expect(b.wouldPermit()).toBe(false);
    advance(10_000);
    expect(b.msUntilHalfOpen()).toBe(20_000);
    expect(b.tryAcquire()).toBe(false);
  });

  it("half-opens after openMs, lets only halfOpenCalls trial calls through, and closes when they succeed", () => {
    const { b, call, advance, transitions } = breaker();
    for (let i = 0; i < 5; i++) call("fail");
    advance(30_000);
    expect(b.state).toBe("half_open");
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false); // three probes out, no more
    b.onSuccess(10);
    b.onSuccess(10);
    expect(b.state).toBe("half_open");
    b.onSuccess(10);
    expect(b.state).toBe("closed");
    expect(transitions.map((t) => `${t.from}->${t.to}:${t.reason}`)).toEqual([
      "closed->open:failure_rate",
      "open->half_open:wait_elapsed",
      "half_open->closed:probes_succeeded",
    ]);
    expect(b.snapshot()).toMatchObject({ state: "closed", calls: 0, transitions: 3 });
    expect(b.snapshot().openedAt).toBeUndefined();
  });

  it("re-opens on a failed trial call and waits the full openMs again", () => {
    const { b, call, advance } = breaker();
    for (let i = 0; i < 5; i++) call("fail");
    advance(30_000);
    call("ok");
    call("fail");
    expect(b.state).toBe("open");
    expect(b.snapshot().openedAt).toBe(30_000);
    advance(29_999);
    expect(b.tryAcquire()).toBe(false);
    advance(1);
    expect(b.tryAcquire()).toBe(true);
  });

  it("re-opens when the trial calls succeed but crawl", () => {
    const { b, call, advance, transitions } = breaker();
    for (let i = 0; i < 5; i++) call("fail");
    advance(30_000);
    call("slow");
    call("slow");
    call("slow");
    expect(b.state).toBe("open");
    expect(transitions.at(-1)?.reason).toBe("probes_slow");
  });

  it("opens on a high slow-call rate even when every call succeeds", () => {
    const { b, call, transitions } = breaker();
    call("ok");
    for (let i = 0; i < 3; i++) call("slow");
    expect(b.state).toBe("closed"); // 4 calls
    call("slow");
    expect(b.state).toBe("open"); // 4/5 = 80% slow
    expect(transitions[0]?.reason).toBe("slow_rate");
  });

  it("takes a per-call slow threshold", () => {
    const { b } = breaker();
    for (let i = 0; i < 5; i++) {
      b.tryAcquire();
      b.onSuccess(5000, 10_000); // a long recording: 5 s is fine for it
    }
    expect(b.snapshot()).toMatchObject({ state: "closed", slowRate: 0 });
  });

  it("opens at once on an auth failure, from closed and from half-open", () => {
    const { b, call, advance, transitions } = breaker();
    call("ok");
    call("auth");
    expect(b.state).toBe("open");
    advance(30_000);
    call("auth");
    expect(b.state).toBe("open");
    expect(transitions.map((t) => t.reason)).toEqual(["auth", "wait_elapsed", "auth"]);
  });

  it("does not count ignored calls (the client's fault), and frees their trial slot", () => {
    const { b, call, advance } = breaker();
    for (let i = 0; i < 30; i++) call("ignored");
    expect(b.snapshot()).toMatchObject({ state: "closed", calls: 0 });
    for (let i = 0; i < 5; i++) call("fail");
    advance(30_000);
    for (let i = 0; i < 5; i++) call("ignored"); // each frees its probe slot again
    call("ok");
    call("ok");
    call("ok");
    expect(b.state).toBe("closed");
  });

  it("ignores answers to calls made before it opened", () => {
    const { b, call } = breaker();
    for (let i = 0; i < 5; i++) call("fail");
    b.onSuccess(10);
    b.onFailure(10);
    expect(b.snapshot()).toMatchObject({ state: "open", transitions: 1 });
  });

  it("snapshots the rates", () => {
    const { b, call } = breaker();
    call("ok");
    call("slow");
    call("fail");
    call("ok");
    expect(b.snapshot()).toEqual({
      state: "closed",
      failureRate: 0.25,
      slowRate: 0.25,
      calls: 4,
      transitions: 0,
      probes: { sent: 0, succeeded: 0, failed: 0, inFlight: 0 },
    });
  });

  describe("probes while open", () => {
    const open = () => {
      const t = breaker();
      for (let i = 0; i < 5; i++) t.call("fail");
      expect(t.b.state).toBe("open");
      return t;
    };

    it("lets a trickle probe through every probeIntervalMs, a panic probe every panicProbeIntervalMs", () => {
      const { b, advance } = open();
      expect(b.tryProbe("trickle")).toBe(false);
      expect(b.tryProbe("panic")).toBe(false); // it has just failed: give it a second
      expect(b.msUntilProbe("panic")).toBe(1000);
      advance(1000);
      expect(b.tryProbe("trickle")).toBe(false);
      expect(b.tryProbe("panic")).toBe(true);
      b.onProbeFailure();
      expect(b.msUntilProbe("trickle")).toBe(5000); // the failure restarted the wait
      advance(5000);
      expect(b.probeReady("trickle")).toBe(true);
      expect(b.tryProbe("trickle")).toBe(true);
      expect(b.tryAcquire()).toBe(false); // probes are not calls: the breaker is still open
      b.onProbeIgnored();
      expect(b.snapshot().probes).toEqual({ sent: 2, succeeded: 0, failed: 1, inFlight: 0 });
    });

    it("keeps at most maxProbesInFlight probes in flight, however long they take", () => {
      const { b, advance } = open();
      advance(5000);
      expect(b.tryProbe("trickle")).toBe(true);
      advance(10_000);
      expect(b.tryProbe("panic")).toBe(false);
      expect(b.tryProbe("trickle")).toBe(false);
      expect(b.snapshot().probes.inFlight).toBe(1);
      b.onProbeFailure();
      advance(1000);
      expect(b.tryProbe("panic")).toBe(true);
    });

    it("closes on a probe's success, with an empty window, as a caller's request was answered", () => {
      const { b, advance, transitions } = open();
      advance(5000);
      expect(b.tryProbe("trickle")).toBe(true);
      b.onProbeSuccess();
      expect(b.snapshot()).toMatchObject({ state: "closed", calls: 0, failureRate: 0 });
      expect(b.snapshot().openedAt).toBeUndefined();
      expect(transitions.map((t) => `${t.from}->${t.to}:${t.reason}`)).toEqual([
        "closed->open:failure_rate",
        "open->closed:probe_succeeded",
      ]);
      expect(b.snapshot().probes).toEqual({ sent: 1, succeeded: 1, failed: 0, inFlight: 0 });
    });

    it("closes a breaker that half-opened while its probe was on its way", () => {
      const { b, advance } = open();
      advance(29_000);
      expect(b.tryProbe("trickle")).toBe(true);
      advance(2000);
      expect(b.tryAcquire()).toBe(true); // a trial call meanwhile
      b.onProbeSuccess();
      expect(b.state).toBe("closed");
      b.onSuccess(10); // the trial call's answer now lands in the closed window
      expect(b.snapshot()).toMatchObject({ state: "closed", calls: 1 });
    });

    it("never probes closed or half-open breakers, and keeps probes out of the failure-rate window", () => {
      const { b, call, advance } = breaker();
      advance(60_000);
      expect(b.tryProbe("panic")).toBe(false);
      for (let i = 0; i < 5; i++) call("fail");
      advance(30_000);
      expect(b.state).toBe("half_open");
      expect(b.tryProbe("panic")).toBe(false);
      call("ok");
      call("ok");
      call("ok");
      expect(b.snapshot()).toMatchObject({ state: "closed", calls: 0, probes: { sent: 0 } });
    });

    it("re-opens a breaker that half-opened while its probe was failing", () => {
      const { b, advance, transitions } = open();
      advance(29_000);
      expect(b.tryProbe("trickle")).toBe(true);
      advance(2000); // the wait ran out meanwhile
      b.onProbeFailure();
      expect(b.snapshot()).toMatchObject({ state: "open", openedAt: 31_000 });
      expect(transitions.at(-1)).toMatchObject({ from: "half_open", to: "open", reason: "probe_failed" });
    });
  });

  it("refuses nonsense settings", () => {
    expect(() => new CircuitBreaker({ windowSize: 0 })).toThrow(RangeError);
  });
});
