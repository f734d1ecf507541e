/**
 * Probes of open breakers in callWithResilience (breaker-probes.ts): the all-open "panic" case,
 * the steady trickle while open, their bounds under concurrency, and their bookkeeping.
 */
import { describe, expect, it } from "vitest";
import { summarize } from "./attempts";
import { callWithResilience, type ProviderRef } from "./resilient-call";
import { fail, fails, ok, p, resilienceHarness as setup } from "./resilience-harness";

/** Opens each breaker (bad credentials open it at once), `gapMs` apart, oldest first. */
function openAll(
  registry: ReturnType<typeof setup>["registry"],
  clock: ReturnType<typeof setup>["clock"],
  names: string[],
  gapMs = 500,
) {
  names.forEach((name, i) => {
    if (i > 0) clock.advance(gapMs);
    registry.get(name, "r1").breaker.onAuthFailure();
  });
}

describe("callWithResilience when every choice is open (panic)", () => {
  it("lets the request through to the provider-region open longest; it answers and its breaker closes", async () => {
    const { options, caller, registry, clock } = setup();
    openAll(registry, clock, ["a", "b"], 2000);
    clock.advance(1500); // a open 3.5 s, b 1.5 s: no trickle probe is due (5 s)
    const call = caller({ a: [ok("from a")], b: [ok("from b")] });
    const out = await callWithResilience([p("b"), p("a")], call, options);
    expect(out.value).toBe("from a");
    expect(summarize(out.attempts)).toBe("b@r1 skipped_open, a@r1 skipped_open, a@r1#1 success (panic probe)");
    const a = registry.get("a", "r1").breaker;
    // The breaker closes; the probe is counted as a probe, not as traffic: the window is empty.
    expect(a.snapshot()).toMatchObject({
      state: "closed",
      calls: 0,
      probes: { sent: 1, succeeded: 1, failed: 0, inFlight: 0 },
    });
    const next = await callWithResilience([p("b"), p("a")], call, options);
    expect(summarize(next.attempts)).toBe("b@r1 skipped_open, a@r1#1 success");
    expect(a.snapshot()).toMatchObject({ state: "closed", calls: 1 });
    expect(registry.get("b", "r1").breaker.snapshot()).toMatchObject({ state: "open", probes: { sent: 0 } });
  });

  it("moves on to the next open one when a probe fails, without retrying it or counting it as traffic", async () => {
    const { options, caller, calls, registry, clock } = setup();
    openAll(registry, clock, ["a", "b"]);
    clock.advance(2000);
    const opened = registry.get("a", "r1").breaker.snapshot().openedAt;
    const out = await callWithResilience(
      [p("a"), p("b")],
      caller({ a: [fail("retryable", { status: 503 })], b: [ok("from b", 100, clock)] }),
      options,
    );
    expect(out.value).toBe("from b");
    expect(calls.map((c) => `${c.name}#${c.attempt}`)).toEqual(["a#1", "b#1"]);
    expect(summarize(out.attempts)).toBe(
      "a@r1 skipped_open, b@r1 skipped_open, a@r1#1 failed 503 (panic probe), b@r1#1 success (panic probe)",
    );
    const a = registry.get("a", "r1");
    expect(a.breaker.snapshot()).toMatchObject({
      state: "open",
      calls: 0,
      failureRate: 0,
      probes: { sent: 1, succeeded: 0, failed: 1 },
    });
    expect(a.breaker.snapshot().openedAt).toBeGreaterThan(opened!); // its open period starts again
    expect(a.budget.tokens).toBe(500); // no retry was taken
  });

  it("answers 503 when every probe fails, and the callers of the next second 503 at once", async () => {
    const { options, caller, calls, registry, clock } = setup();
    openAll(registry, clock, ["a", "b"]);
    clock.advance(2000);
    const call = caller({ a: [fail("retryable", { status: 500 })], b: [fail("retryable", { status: 502 })] });
    const err = await fails(callWithResilience([p("a"), p("b")], call, options));
    expect(err.reason).toBe("exhausted");
    expect(calls.map((c) => c.name)).toEqual(["a", "b"]);

    clock.advance(400);
    const soon = await fails(callWithResilience([p("a"), p("b")], call, options));
    expect(soon).toMatchObject({ reason: "all_skipped", retryAfterMs: 600 });
    expect(calls).toHaveLength(2); // a dead provider is not sent every caller

    clock.advance(600);
    await fails(callWithResilience([p("a"), p("b")], call, options));
    expect(calls.map((c) => c.name)).toEqual(["a", "b", "a", "b"]);
  });

  it(
    "under concurrency lets one probe per provider-region through; the other callers get 503 at once, " +
      "Retry-After 1 s",
    async () => {
      const { options, registry, clock } = setup();
      openAll(registry, clock, ["a", "b", "c"]);
      clock.advance(1500);
      const pending: { name: string; answer: (value: string) => void }[] = [];
      const call = (provider: ProviderRef) =>
        new Promise<string>((resolve) => pending.push({ name: provider.name, answer: resolve }));
      const chain = [p("c"), p("b"), p("a")];
      // Each outcome is taken as it comes: a refusal is there before the probes are answered.
      const requests = Array.from({ length: 20 }, () =>
        callWithResilience(chain, call, options).then(
          (out) => ({ value: out.value }),
          (err: unknown) => ({ err }),
        ),
      );
      // The probes wait for their answers; every other request has already been refused.
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(pending.map((x) => x.name)).toEqual(["a", "b", "c"]); // oldest open period first
      for (const x of pending) x.answer(`from ${x.name}`);
      const settled = await Promise.all(requests);

      const answered = settled.flatMap((s) => ("value" in s ? [s.value] : []));
      expect(answered).toEqual(["from a", "from b", "from c"]);
      const refused = settled.flatMap((s) => ("err" in s ? [s.err] : []));
      expect(refused).toHaveLength(17);
      for (const err of refused) {
        expect(err).toMatchObject({ reason: "all_skipped", retryAfterMs: 1000 });
        expect((err as { attempts: { attempt: number }[] }).attempts.every((x) => x.attempt === 0)).toBe(true);
      }
      for (const name of ["a", "b", "c"])
        expect(registry.get(name, "r1").breaker.snapshot()).toMatchObject({
          state: "closed",
          probes: { sent: 1, succeeded: 1, inFlight: 0 },
        });
    },
  );

  it("probes the open choices it skipped once the others have failed, before answering 503", async () => {
    const { options, caller, calls, registry, clock } = setup();
    openAll(registry, clock, ["b"]);
    clock.advance(2000);
    const out = await callWithResilience(
      [p("a"), p("b")],
      caller({ a: [fail("retryable", { status: 503 })], b: [ok("from b")] }),
      options,
    );
    expect(out.value).toBe("from b");
    expect(calls.map((c) => `${c.name}#${c.attempt}`)).toEqual(["a#1", "a#2", "a#3", "b#1"]);
    expect(summarize(out.attempts)).toBe(
      "a@r1#1 failed 503, a@r1#2 failed 503, a@r1#3 failed 503, b@r1 skipped_open, b@r1#1 success (panic probe)",
    );
    expect(registry.get("b", "r1").breaker.state).toBe("closed");
  });

  it("never probes a saturated provider-region", async () => {
    const { options, caller, calls, registry, clock } = setup({ capacity: 1 });
    openAll(registry, clock, ["a"]);
    clock.advance(2000);
    registry.get("a", "r1").inFlight = 1;
    const err = await fails(callWithResilience([p("a")], caller({ a: [ok("a")] }), options));
    expect(err).toMatchObject({ reason: "all_skipped", retryAfterMs: 1000 });
    expect(calls).toEqual([]);
  });
});

describe("callWithResilience while a provider-region is open (trickle)", () => {
  it("sends one request every 5 s to it first, as a single attempt; a failure moves on, a success closes", async () => {
    const { options, caller, calls, registry, clock } = setup();
    openAll(registry, clock, ["a"]);
    const call = caller({ a: [fail("retryable", { status: 503 }), ok("from a")], b: [ok("from b")] });
    const chain = [p("b"), p("a")]; // as orderForCaller ranks an open breaker: last

    clock.advance(1000);
    expect(summarize((await callWithResilience(chain, call, options)).attempts)).toBe("b@r1#1 success");
    clock.advance(4000);
    const probed = await callWithResilience(chain, call, options);
    expect(summarize(probed.attempts)).toBe("a@r1#1 failed 503 (trickle probe), b@r1#1 success");
    expect(summarize((await callWithResilience(chain, call, options)).attempts)).toBe("b@r1#1 success");
    clock.advance(5000);
    const back = await callWithResilience(chain, call, options);
    expect(back.value).toBe("from a");
    expect(summarize(back.attempts)).toBe("a@r1#1 success (trickle probe)");
    expect(calls.map((c) => c.name)).toEqual(["b", "a", "b", "b", "a"]);
    expect(registry.get("a", "r1").breaker.snapshot()).toMatchObject({
      state: "closed",
      probes: { sent: 2, succeeded: 1, failed: 1 },
    });
  });

  it("gives a trickle probe at most the slow-call time, so a hanging provider costs its caller little", async () => {
    const { options, caller, calls, registry, clock } = setup();
    openAll(registry, clock, ["a"]);
    clock.advance(5000);
    const hang = (signal: AbortSignal) => clock.hang(signal);
    const start = clock.now();
    const out = await callWithResilience([p("b"), p("a")], caller({ a: [hang], b: [ok("from b")] }), {
      ...options,
      slowCallMs: 1500,
    });
    expect(out.value).toBe("from b");
    expect(calls.map((c) => [c.name, c.at - start])).toEqual([
      ["a", 0],
      ["b", 1500],
    ]);
    expect(summarize(out.attempts)).toBe("a@r1#1 timeout (trickle probe), b@r1#1 success");
    expect(registry.get("a", "r1").breaker.snapshot()).toMatchObject({ state: "open", probes: { failed: 1 } });
  });

  it("probes at most one open provider-region per request", async () => {
    const { options, caller, calls, registry, clock } = setup();
    openAll(registry, clock, ["a", "b"]);
    clock.advance(6000);
    const out = await callWithResilience(
      [p("a"), p("b"), p("c")],
      caller({ a: [fail("retryable", { status: 503 })], b: [ok("from b")], c: [ok("from c")] }),
      options,
    );
    expect(out.value).toBe("from c");
    expect(summarize(out.attempts)).toBe("a@r1#1 failed 503 (trickle probe), b@r1 skipped_open, c@r1#1 success");
    expect(calls.map((c) => c.name)).toEqual(["a", "c"]);
  });
});
