import { describe, expect, it } from "vitest";
import { AudioError } from "../audio/errors";
import { attemptsOf, summarize } from "./attempts";
import { callWithResilience } from "./resilient-call";
import { fail, fails, ok, p, resilienceHarness as setup, type Step } from "./resilience-harness";

describe("callWithResilience", () => {
  it("returns the first provider's answer and records its latency", async () => {
    const { options, caller, clock, registry } = setup();
    const out = await callWithResilience([p("a"), p("b")], caller({ a: [ok("hello", 120, clock)] }), options);
    expect(out).toMatchObject({ value: "hello", provider: { name: "a" }, cached: false });
    expect(out.attempts).toEqual([{ provider: "a", region: "r1", attempt: 1, outcome: "success", ms: 120 }]);
    expect(registry.get("a", "r1").latency.snapshot()).toEqual({ latencyMs: 120, errorRate: 0, samples: 1 });
    expect(registry.get("a", "r1").inFlight).toBe(0);
  });

  it("fails over in preference order without retrying auth or invalid_response failures", async () => {
    const { options, caller, calls, registry } = setup();
    const out = await callWithResilience(
      [p("a"), p("b"), p("c")],
      caller({ a: [fail("auth", { status: 401 })], b: [fail("invalid_response")], c: [ok("from c")] }),
      options,
    );
    expect(out.value).toBe("from c");
    expect(calls.map((c) => `${c.name}#${c.attempt}`)).toEqual(["a#1", "b#1", "c#1"]);
    expect(summarize(out.attempts)).toBe("a@r1#1 failed 401, b@r1#1 failed invalid_response, c@r1#1 success");
    expect(registry.get("a", "r1").breaker.state).toBe("open"); // credentials will not fix themselves
    expect(registry.get("b", "r1").breaker.snapshot()).toMatchObject({ state: "closed", calls: 1, failureRate: 1 });
  });

  it("retries a retryable failure with jittered backoff, up to maxAttemptsPerProvider, then fails over", async () => {
    const { options, caller, calls, sleeps, registry } = setup();
    const out = await callWithResilience(
      [p("a"), p("b")],
      caller({ a: [fail("retryable", { status: 503 })], b: [ok("b")] }),
      options,
    );
    expect(out.value).toBe("b");
    expect(calls.map((c) => `${c.name}#${c.attempt}`)).toEqual(["a#1", "a#2", "a#3", "b#1"]);
    expect(sleeps).toEqual([50, 100]); // random 0.5 of 100 and 200 ms
    expect(out.attempts.map((a) => a.waitedMs)).toEqual([undefined, 50, 100, undefined]);
    expect(registry.get("a", "r1").budget.tokens).toBe(490);
  });

  it("honours maxAttemptsPerProvider = 1 (no retries)", async () => {
    const { options, caller, calls } = setup();
    await callWithResilience([p("a"), p("b")], caller({ a: [fail("retryable")], b: [ok("b")] }), {
      ...options,
      maxAttemptsPerProvider: 1,
    });
    expect(calls.map((c) => c.name)).toEqual(["a", "b"]);
  });

  it("refunds the retry's cost when the retry succeeds", async () => {
    const { options, caller, registry } = setup();
    const out = await callWithResilience(
      [p("a")],
      caller({ a: [fail("retryable", { status: 502 }), ok("second time")] }),
      options,
    );
    expect(out.value).toBe("second time");
    expect(registry.get("a", "r1").budget.tokens).toBe(500);
  });

  it("charges a timeout-sized retry for a dropped connection (retryable without a status)", async () => {
    const { options, caller, registry } = setup();
    await callWithResilience(
      [p("a"), p("b")],
      caller({ a: [fail("retryable"), fail("retryable"), fail("auth")], b: [ok("b")] }),
      options,
    );
    expect(registry.get("a", "r1").budget.tokens).toBe(480);
  });

  it("waits out a Retry-After that fits in the time left", async () => {
    const { options, caller, sleeps, clock } = setup();
    const started = clock.now();
    const out = await callWithResilience(
      [p("a")],
      caller({ a: [fail("retryable", { status: 429, retryAfterMs: 3000 }), ok("after the wait")] }),
      options,
    );
    expect(out.value).toBe("after the wait");
    expect(sleeps).toEqual([3000]);
    expect(clock.now() - started).toBe(3000);
  });

  it(
    "fails over at once when the Retry-After is beyond " + "its share of the deadline, and reports the longest",
    async () => {
      const { options, caller, sleeps, calls } = setup();
      const err = await fails(
        callWithResilience(
          [p("a"), p("b")],
          caller({
            a: [fail("retryable", { status: 429, retryAfterMs: 7000 })],
            b: [fail("retryable", { status: 503, retryAfterMs: 9000 })],
          }),
          options,
        ),
      );
      expect(sleeps).toEqual([]);
      expect(calls.map((c) => c.name)).toEqual(["a", "b"]);
      expect(err).toMatchObject({ reason: "exhausted", longestRetryAfterMs: 9000, retryAfterMs: 9000 });
      expect(err.errors).toHaveLength(2);
      expect(attemptsOf(err)).toBe(err.attempts);
    },
  );

  it("does not retry once the retry budget is spent: it fails over instead", async () => {
    const { options, caller, calls } = setup({ retryBudget: { capacity: 4 } });
    const out = await callWithResilience(
      [p("a"), p("b")],
      caller({ a: [fail("retryable", { status: 503 })], b: [ok("b")] }),
      options,
    );
    expect(out.value).toBe("b");
    expect(calls.map((c) => c.name)).toEqual(["a", "b"]);
  });

  it(
    "does not count the request's own faults (permanent " + "400, AudioError) against a provider, nor retry them",
    async () => {
      const { options, caller, calls, registry } = setup();
      const refuse: Step = async () => {
        throw new AudioError("unsupported_media_type", "no webm here");
      };
      const out = await callWithResilience(
        [p("a"), p("b"), p("c")],
        caller({ a: [fail("permanent", { status: 400 })], b: [refuse], c: [ok("c")] }),
        options,
      );
      expect(out.value).toBe("c");
      expect(calls.map((c) => c.name)).toEqual(["a", "b", "c"]);
      expect(out.attempts.map((a) => [a.outcome, a.errorKind])).toEqual([
        ["refused", "permanent"],
        ["refused", "audio"],
        ["success", undefined],
      ]);
      expect(registry.get("a", "r1").breaker.snapshot().calls).toBe(0);
      expect(registry.get("b", "r1").breaker.snapshot().calls).toBe(0);
    },
  );

  it("rethrows a bug at once, without trying further providers or blaming the provider", async () => {
    const { options, caller, calls, registry } = setup();
    const bug: Step = async () => {
      throw new TypeError("undefined is not a function");
    };
    await expect(callWithResilience([p("a"), p("b")], caller({ a: [bug], b: [ok("b")] }), options)).rejects.toThrow(
      TypeError,
    );
    expect(calls.map((c) => c.name)).toEqual(["a"]);
    expect(registry.get("a", "r1").breaker.snapshot().calls).toBe(0);
    expect(registry.get("a", "r1").inFlight).toBe(0);
  });

  it("rethrows a bug thrown synchronously by the call", async () => {
    const { options } = setup();
    const call = () => {
      throw new ReferenceError("nope");
    };
    await expect(callWithResilience([p("a")], call, options)).rejects.toThrow(ReferenceError);
  });

  it("skips a saturated provider (admission control), and answers 1 s when every provider is saturated", async () => {
    const { options, caller, calls, registry } = setup({ capacity: 2 });
    registry.get("a", "r1").inFlight = 2;
    const out = await callWithResilience([p("a"), p("b")], caller({ b: [ok("b")] }), options);
    expect(out.value).toBe("b");
    expect(out.attempts.map((a) => a.outcome)).toEqual(["skipped_saturated", "success"]);
    expect(calls.map((c) => c.name)).toEqual(["b"]);
    registry.get("b", "r1").inFlight = 2;
    const err = await fails(callWithResilience([p("a"), p("b")], caller({}), options));
    expect(err).toMatchObject({ reason: "all_skipped", allSkipped: true, retryAfterMs: 1000 });
  });

  it("skips open providers, and when all are open and none may be probed yet, reports when one may", async () => {
    const { options, caller, calls, registry, clock } = setup();
    registry.get("a", "r1").breaker.onAuthFailure();
    clock.advance(400);
    registry.get("b", "r1").breaker.onAuthFailure();
    const err = await fails(callWithResilience([p("b"), p("a")], caller({}), options));
    expect(calls).toEqual([]);
    // A panic probe of a may go 1 s after it opened (breaker-probes.ts), long before the 30 s wait ends.
    expect(err).toMatchObject({ reason: "all_skipped", retryAfterMs: 600 });
    expect(err.attempts.map((a) => `${a.provider}:${a.outcome}:${a.attempt}`)).toEqual([
      "b:skipped_open:0",
      "a:skipped_open:0",
    ]);
  });

  it("skips a half-open provider whose trial calls are all taken, suggesting a retry in 1 s", async () => {
    const { options, caller, registry, clock } = setup();
    const breaker = registry.get("a", "r1").breaker;
    breaker.onAuthFailure();
    clock.advance(30_000);
    for (let i = 0; i < 3; i++) expect(breaker.tryAcquire()).toBe(true); // other requests' trial calls
    const err = await fails(callWithResilience([p("a")], caller({}), options));
    expect(err).toMatchObject({ reason: "all_skipped", retryAfterMs: 1000 });
  });

  it("probes a provider again once its breaker half-opens, and closes it after the trial calls succeed", async () => {
    const { options, caller, registry, clock } = setup();
    const health = registry.get("a", "r1");
    health.breaker.onAuthFailure();
    const chain = [p("a"), p("b")];
    const call = caller({ a: [ok("a")], b: [ok("b")] });
    expect((await callWithResilience(chain, call, options)).value).toBe("b");
    clock.advance(30_000);
    for (let i = 0; i < 3; i++) expect((await callWithResilience(chain, call, options)).value).toBe("a");
    expect(health.breaker.state).toBe("closed");
  });

  it("stops retrying a provider whose breaker opened between attempts", async () => {
    const { options, caller, calls } = setup({ breaker: { minCalls: 2 } });
    const out = await callWithResilience(
      [p("a"), p("b")],
      caller({ a: [fail("retryable", { status: 503 })], b: [ok("b")] }),
      options,
    );
    expect(out.value).toBe("b");
    expect(calls.map((c) => `${c.name}#${c.attempt}`)).toEqual(["a#1", "a#2", "b#1"]);
    expect(out.attempts.map((a) => a.outcome)).toEqual(["failed", "failed", "skipped_open", "success"]);
  });

  it("stops at once when the caller goes away, without blaming the provider", async () => {
    const { options, caller, calls, clock, registry } = setup();
    const caller_ = new AbortController();
    const hangUp: Step = async (signal) => {
      clock.advance(100);
      caller_.abort(new Error("client closed the connection"));
      signal.throwIfAborted();
      return "never";
    };
    const err = await fails(
      callWithResilience([p("a"), p("b")], caller({ a: [hangUp], b: [ok("b")] }), {
        ...options,
        signal: caller_.signal,
      }),
    );
    expect(err.reason).toBe("aborted");
    expect(calls.map((c) => c.name)).toEqual(["a"]);
    expect(err.attempts.map((a) => a.outcome)).toEqual(["aborted"]);
    expect(registry.get("a", "r1").breaker.snapshot().calls).toBe(0);
    await expect(
      fails(callWithResilience([p("a")], caller({}), { ...options, signal: AbortSignal.abort() })),
    ).resolves.toMatchObject({ reason: "aborted" });
  });

  it("stops when the caller goes away during a backoff", async () => {
    const { options, caller, calls } = setup();
    const caller_ = new AbortController();
    const err = await fails(
      callWithResilience([p("a"), p("b")], caller({ a: [fail("retryable")], b: [ok("b")] }), {
        ...options,
        signal: caller_.signal,
        sleep: async () => {
          caller_.abort();
          throw new DOMException("aborted", "AbortError");
        },
      }),
    );
    expect(err.reason).toBe("aborted");
    expect(calls.map((c) => c.name)).toEqual(["a"]);
  });

  it("serves a cached answer per provider before its breaker and admission, without calling it", async () => {
    const { options, caller, calls, registry } = setup();
    registry.get("a", "r1").breaker.onAuthFailure();
    const out = await callWithResilience([p("a"), p("b")], caller({ b: [ok("fresh b")] }), {
      ...options,
      cached: (x) => (x.name === "a" ? "cached a" : undefined),
    });
    expect(out).toMatchObject({ value: "cached a", cached: true, provider: { name: "a" } });
    expect(out.attempts.map((a) => a.outcome)).toEqual(["cached"]);
    expect(calls).toEqual([]);
    const miss = await callWithResilience([p("a"), p("b")], caller({ b: [ok("fresh b")] }), {
      ...options,
      cached: async () => undefined,
    });
    expect(miss).toMatchObject({ value: "fresh b", cached: false });
    expect(miss.attempts.map((a) => a.outcome)).toEqual(["skipped_open", "success"]);
  });

  it("counts a call in flight while it runs", async () => {
    const { options, registry } = setup();
    let seen = -1;
    await callWithResilience(
      [p("a")],
      async () => {
        seen = registry.get("a", "r1").inFlight;
        return "x";
      },
      options,
    );
    expect(seen).toBe(1);
    expect(registry.get("a", "r1").inFlight).toBe(0);
  });

  it("refuses nonsense options", async () => {
    const { options, caller } = setup();
    await expect(callWithResilience([p("a")], caller({}), { ...options, deadlineMs: 0 })).rejects.toThrow(RangeError);
    await expect(callWithResilience([p("a")], caller({}), { ...options, maxAttemptsPerProvider: 0 })).rejects.toThrow(
      RangeError,
    );
  });
});
