import { describe, expect, it } from "vitest";
import { ProviderError } from "../providers/errors";
import { HealthRegistry } from "./health-registry";
import { callWithResilience } from "./resilient-call";
import { fails, ok, p, resilienceHarness as setup } from "./resilience-harness";

describe("callWithResilience: the deadline", () => {
  it("aborts a hanging provider at its share of the deadline and gives the next one what remains", async () => {
    const { options, caller, calls, clock, registry } = setup();
    const started = clock.now();
    const out = await callWithResilience(
      [p("a"), p("b")],
      caller({ a: [(signal) => clock.hang(signal)], b: [ok("b", 300, clock)] }),
      options,
    );
    expect(out.value).toBe("b");
    expect(calls.map((c) => [c.name, c.at - started])).toEqual([
      ["a", 0],
      ["b", 4000],
    ]);
    expect((calls[0]!.signal.reason as DOMException).name).toBe("TimeoutError");
    expect(calls[1]!.signal.aborted).toBe(false);
    expect(out.attempts.map((a) => [a.provider, a.outcome, a.ms])).toEqual([
      ["a", "timeout", 4000],
      ["b", "success", 300],
    ]);
    // A hang is the provider's fault, and a slow one.
    expect(registry.get("a", "r1").breaker.snapshot()).toMatchObject({ calls: 1, failureRate: 1, slowRate: 1 });
  });

  it("gives the whole deadline to a lone provider and never exceeds it", async () => {
    const { options, caller, clock } = setup();
    const started = clock.now();
    const err = await fails(callWithResilience([p("a")], caller({ a: [(signal) => clock.hang(signal)] }), options));
    expect(clock.now() - started).toBe(8000);
    expect(err.attempts).toEqual([
      { provider: "a", region: "r1", attempt: 1, outcome: "timeout", ms: 8000, errorKind: "timeout" },
    ]);
    expect(err.errors[0]).toBeInstanceOf(ProviderError);
  });

  it("splits the time only among providers that can take calls", async () => {
    const { options, caller, calls, clock, registry } = setup();
    registry.get("b", "r1").breaker.onAuthFailure();
    const started = clock.now();
    await fails(callWithResilience([p("a"), p("b")], caller({ a: [(signal) => clock.hang(signal)] }), options));
    expect(calls).toHaveLength(1);
    expect(clock.now() - started).toBe(8000);
  });

  it("abandons a provider that ignores its signal, counting it in flight until it really settles", async () => {
    const { options, calls, clock, registry } = setup();
    let finish: (v: string) => void = () => {};
    const out = await callWithResilience(
      [p("a"), p("b")],
      (provider, signal) => {
        calls.push({ name: provider.name, attempt: 1, at: clock.now(), signal });
        if (provider.name === "b") return Promise.resolve("b");
        clock.advance(60_000, signal); // time passes; the adapter does not listen
        return new Promise<string>((resolve) => (finish = resolve));
      },
      options,
    );
    expect(out.value).toBe("b");
    expect(registry.get("a", "r1").inFlight).toBe(1);
    finish("too late");
    await Promise.resolve();
    await Promise.resolve();
    expect(registry.get("a", "r1").inFlight).toBe(0);
  });

  it("holds with the real AbortSignal.timeout too (no virtual clock)", async () => {
    const registry = new HealthRegistry();
    const hanging = (signal: AbortSignal) =>
      new Promise<string>((_resolve, reject) =>
        signal.addEventListener("abort", () =>
          reject(new ProviderError("a", "permanent", "request aborted by the client")),
        ),
      );
    const out = await callWithResilience(
      [p("a"), p("b")],
      (provider, signal) => (provider.name === "a" ? hanging(signal) : Promise.resolve("b")),
      {
        deadlineMs: 400,
        registry,
      },
    );
    expect(out.value).toBe("b");
    // providerFetch calls any abort "by the client"; the routing layer knows it was its own timeout.
    expect(out.attempts[0]).toMatchObject({ provider: "a", outcome: "timeout" });
  });
});
