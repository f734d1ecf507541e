import { afterEach, describe, expect, it } from "vitest";
import {
  DEFAULT_CAPACITY,
  getHealth,
  HealthRegistry,
  healthKey,
  healthSnapshot,
  resetHealthForTests,
  type HealthTransitionEvent,
} from "./health-registry";

describe("HealthRegistry", () => {
  afterEach(() => resetHealthForTests());

  it("keeps one entry per provider@region, created healthy", () => {
    const r = new HealthRegistry();
    const a = r.get("deepgram", "eu");
    expect(r.get("deepgram", "eu")).toBe(a);
    expect(r.get("deepgram", "us")).not.toBe(a);
    expect(a).toMatchObject({ key: "deepgram@eu", inFlight: 0, capacity: DEFAULT_CAPACITY });
    expect(a.breaker.state).toBe("closed");
    expect(a.budget.tokens).toBe(500);
    expect(healthKey("azure", "eastus")).toBe("azure@eastus");
  });

  it("applies its settings and clock to every breaker, and reports transitions with the provider", () => {
    let t = 0;
    const events: HealthTransitionEvent[] = [];
    const r = new HealthRegistry({ now: () => t, breaker: { minCalls: 2 }, onTransition: (e) => events.push(e) });
    const h = r.get("google", "eu");
    for (let i = 0; i < 2; i++) {
      h.breaker.tryAcquire();
      h.breaker.onFailure(10);
    }
    t = 30_000;
    expect(h.breaker.state).toBe("half_open");
    expect(events).toEqual([
      { from: "closed", to: "open", at: 0, reason: "failure_rate", provider: "google", region: "eu" },
      { from: "open", to: "half_open", at: 30_000, reason: "wait_elapsed", provider: "google", region: "eu" },
    ]);
  });

  it("sets the capacity for current and future entries", () => {
    const r = new HealthRegistry({ capacity: 4 });
    const a = r.get("a", "x");
    expect(a.capacity).toBe(4);
    r.setCapacity(8);
    expect(a.capacity).toBe(8);
    expect(r.get("b", "x").capacity).toBe(8);
    expect(() => r.setCapacity(0)).toThrow(RangeError);
  });

  it("gives one provider-region its own capacity, which the registry-wide one does not override", () => {
    const r = new HealthRegistry({ capacity: 4 });
    r.setRegionCapacity("a", "small", 2); // before the entry exists: it is created with it
    const existing = r.get("a", "x");
    r.setRegionCapacity("a", "x", 16); // after: applied at once
    expect([r.get("a", "small").capacity, existing.capacity]).toEqual([2, 16]);
    r.setCapacity(8);
    expect([r.get("a", "small").capacity, existing.capacity, r.get("a", "y").capacity]).toEqual([2, 16, 8]);
    r.setRegionCapacity("a", "x", undefined); // back to the registry-wide limit
    expect(existing.capacity).toBe(8);
    expect(() => r.setRegionCapacity("a", "x", 1.5)).toThrow(RangeError);
    r.clear();
    expect(r.get("a", "small").capacity).toBe(4);
  });

  it("snapshots every entry", () => {
    const r = new HealthRegistry({ now: () => 0 });
    const h = r.get("polly", "us-east-1");
    h.inFlight = 2;
    h.latency.recordSuccess(120);
    expect(r.snapshot()).toEqual([
      {
        key: "polly@us-east-1",
        provider: "polly",
        region: "us-east-1",
        breaker: {
          state: "closed",
          failureRate: 0,
          slowRate: 0,
          calls: 0,
          transitions: 0,
          probes: { sent: 0, succeeded: 0, failed: 0, inFlight: 0 },
        },
        latencyMs: 120,
        errorRate: 0,
        samples: 1,
        inFlight: 2,
        capacity: 32,
        retryTokens: 500,
      },
    ]);
  });

  it("exposes the isolate's registry, which tests can reset", () => {
    resetHealthForTests();
    getHealth("registry-test", "r1").inFlight = 1;
    expect(healthSnapshot().map((e) => e.key)).toContain("registry-test@r1");
    resetHealthForTests();
    expect(healthSnapshot().map((e) => e.key)).not.toContain("registry-test@r1");
  });
});
