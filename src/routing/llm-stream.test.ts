import { describe, expect, it } from "vitest";
import { kindForStatus, ProviderError } from "../providers/errors";
import type { LanguageModel, LlmEvent, LlmRequest } from "../providers/llm/types";
import { AllProvidersFailedError, summarize } from "./attempts";
import { HealthRegistry } from "./health-registry";
import { openModelStream } from "./llm-stream";
import { VirtualClock } from "./test-support";

const REQUEST: LlmRequest = { messages: [{ role: "user", content: "Hi" }], tools: [] };
const DONE: LlmEvent = { type: "done", finishReason: "stop" };

type Script = (signal: AbortSignal) => AsyncGenerator<LlmEvent, void, undefined>;

/** A model whose every stream() follows the next script (the last one repeats), remembering each signal. */
function fakeModel(name: string, scripts: Script[]): LanguageModel & { signals: AbortSignal[] } {
  const signals: AbortSignal[] = [];
  let calls = 0;
  return {
    name,
    region: "r1",
    zone: "other",
    defaultModel: "m",
    signals,
    stream(_request, signal) {
      signals.push(signal);
      return scripts[Math.min(calls++, scripts.length - 1)]!(signal);
    },
  };
}

/** Waits for the signal only, on no clock: a caller's abort is the only way out. */
const untilAbort = (signal: AbortSignal) =>
  new Promise<never>((_resolve, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });

function setup() {
  const clock = new VirtualClock();
  const registry = new HealthRegistry({ now: clock.now });
  const sleeps: number[] = [];
  const options = {
    firstTokenDeadlineMs: 4000,
    streamTimeoutMs: 30_000,
    registry,
    now: clock.now,
    timeout: clock.timeout,
    random: () => 0.5,
    sleep: async (ms: number, signal?: AbortSignal) => {
      sleeps.push(ms);
      await clock.sleep(ms, signal);
    },
  };
  const answers = (text: string, ms = 100): Script =>
    async function* (signal) {
      await clock.work(ms, signal);
      yield { type: "text", text };
      yield DONE;
    };
  const fails = (status: number, retryAfterMs?: number): Script =>
    // eslint-disable-next-line require-yield
    async function* () {
      throw new ProviderError("x", kindForStatus(status), `HTTP ${status}`, {
        status,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      });
    };
  // eslint-disable-next-line require-yield
  const silent: Script = async function* (signal) {
    await clock.hang(signal);
  };
  return { clock, registry, options, sleeps, answers, fails, silent };
}

async function texts(events: AsyncIterable<LlmEvent>): Promise<string[]> {
  const out: string[] = [];
  for await (const e of events) out.push(e.type === "text" ? e.text : e.type);
  return out;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (e: unknown) => e,
  );
}

describe("openModelStream", () => {
  it("answers from the first model that sends an event", async () => {
    const { options, answers } = setup();
    const a = fakeModel("a", [answers("Hello")]);
    const out = await openModelStream([a, fakeModel("b", [answers("no")])], REQUEST, options);
    expect(out.model).toBe(a);
    expect(summarize(out.attempts)).toBe("a@r1#1 success");
    expect(await texts(out.events)).toEqual(["Hello", "done"]);
  });

  it("retries a 503, then fails over to the next model", async () => {
    const { options, answers, fails, sleeps } = setup();
    const b = fakeModel("b", [answers("from b")]);
    const out = await openModelStream([fakeModel("a", [fails(503)]), b], REQUEST, options);
    expect(out.model).toBe(b);
    expect(summarize(out.attempts)).toBe("a@r1#1 failed 503, a@r1#2 failed 503, a@r1#3 failed 503, b@r1#1 success");
    expect(sleeps).toEqual([50, 100]);
    expect(await texts(out.events)).toEqual(["from b", "done"]);
  });

  it("honours a 429's Retry-After before retrying the same model", async () => {
    const { options, answers, fails, sleeps } = setup();
    const a = fakeModel("a", [fails(429, 700), answers("after the wait")]);
    const out = await openModelStream([a], REQUEST, options);
    expect(sleeps).toEqual([700]);
    expect(out.attempts.map((x) => x.outcome)).toEqual(["failed", "success"]);
    expect(await texts(out.events)).toEqual(["after the wait", "done"]);
  });

  it("gives up on a silent model at its share of the first-token deadline and fails over", async () => {
    const { options, answers, silent, clock } = setup();
    const a = fakeModel("a", [silent]);
    const t0 = clock.now();
    const out = await openModelStream([a, fakeModel("b", [answers("b")])], REQUEST, options);
    expect(summarize(out.attempts)).toBe("a@r1#1 timeout, b@r1#1 success");
    expect(out.attempts[0]!.ms).toBe(2000); // half the deadline: b was still to come
    expect(clock.now() - t0).toBe(2100);
    expect(a.signals[0]!.aborted).toBe(true); // the abandoned stream was stopped
  });

  it("throws AllProvidersFailedError when no model answers", async () => {
    const { options, fails } = setup();
    const err = await rejection(
      openModelStream([fakeModel("a", [fails(500)]), fakeModel("b", [fails(404)])], REQUEST, options),
    );
    expect(err).toBeInstanceOf(AllProvidersFailedError);
    expect((err as AllProvidersFailedError).reason).toBe("exhausted");
    expect(summarize((err as AllProvidersFailedError).attempts)).toBe(
      "a@r1#1 failed 500, a@r1#2 failed 500, a@r1#3 failed 500, b@r1#1 refused 404",
    );
  });

  it("stops everything when the caller aborts before the first event", async () => {
    const { options, answers } = setup();
    const a = fakeModel("a", [
      async function* (signal) {
        yield await untilAbort(signal);
      },
    ]);
    const b = fakeModel("b", [answers("never")]);
    const controller = new AbortController();
    const pending = rejection(openModelStream([a, b], REQUEST, { ...options, signal: controller.signal }));
    await Promise.resolve();
    controller.abort(new Error("caller hung up"));
    const err = await pending;
    expect((err as AllProvidersFailedError).reason).toBe("aborted");
    expect(a.signals[0]!.aborted).toBe(true);
    expect(b.signals).toHaveLength(0);
  });

  it("commits to the model once its first event came: a later failure goes to the consumer, no failover", async () => {
    const { options, clock } = setup();
    const a = fakeModel("a", [
      async function* (signal) {
        await clock.work(100, signal);
        yield { type: "text", text: "Your bal" };
        throw new ProviderError("a", "invalid_response", "the stream was cut");
      },
    ]);
    const b = fakeModel("b", [async function* () {}]);
    const out = await openModelStream([a, b], REQUEST, options);
    const seen: string[] = [];
    const err = await rejection(
      (async () => {
        for await (const e of out.events) seen.push(e.type === "text" ? e.text : e.type);
      })(),
    );
    expect(seen).toEqual(["Your bal"]);
    expect(err).toMatchObject({ kind: "invalid_response" });
    expect(b.signals).toHaveLength(0);
  });

  it("ends a committed answer that outlives the stream timeout, whatever the first-token deadline was", async () => {
    const { options, clock } = setup();
    const a = fakeModel("a", [
      async function* (signal) {
        yield { type: "text", text: "Hel" };
        await clock.work(3000, signal); // past the 4 s first-token deadline, within the stream timeout
        yield { type: "text", text: "lo" };
        await clock.hang(signal);
      },
    ]);
    const out = await openModelStream([a], REQUEST, { ...options, streamTimeoutMs: 10_000 });
    const seen: string[] = [];
    const t0 = clock.now();
    const err = await rejection(
      (async () => {
        for await (const e of out.events) seen.push(e.type === "text" ? e.text : e.type);
      })(),
    );
    expect(seen).toEqual(["Hel", "lo"]);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).message).toMatch(/10000 ms \(LLM_STREAM_TIMEOUT_MS\)/);
    expect(clock.now() - t0).toBe(10_000);
  });

  it("stops the model's stream when the consumer leaves early, or the caller aborts mid-answer", async () => {
    const { options, clock } = setup();
    const chatty: Script = async function* (signal) {
      for (;;) {
        await clock.work(10, signal);
        yield { type: "text", text: "blah" };
      }
    };
    const a = fakeModel("a", [chatty]);
    const out = await openModelStream([a], REQUEST, options);
    for await (const e of out.events) if (e.type === "text") break;
    expect(a.signals[0]!.aborted).toBe(true);

    const controller = new AbortController();
    const b = fakeModel("b", [chatty]);
    const second = await openModelStream([b], REQUEST, { ...options, signal: controller.signal });
    await second.events.next();
    controller.abort(new Error("caller hung up"));
    await expect(second.events.next()).rejects.toBeDefined();
    expect(b.signals[0]!.aborted).toBe(true);
  });

  it("opens a model's breaker on refused credentials, in the registry it is given", async () => {
    const { options, fails, answers, registry } = setup();
    const out = await openModelStream([fakeModel("a", [fails(401)]), fakeModel("b", [answers("b")])], REQUEST, options);
    expect(summarize(out.attempts)).toBe("a@r1#1 failed 401, b@r1#1 success");
    expect(registry.get("a", "r1").breaker.state).toBe("open");
  });

  it("when every model's breaker is open, sends the request as a probe to the one open longest", async () => {
    const { options, answers, registry, clock } = setup();
    registry.get("a", "r1").breaker.onAuthFailure();
    clock.advance(1000);
    registry.get("b", "r1").breaker.onAuthFailure();
    clock.advance(1500);
    const a = fakeModel("a", [answers("back again")]);
    const out = await openModelStream([fakeModel("b", [answers("b")]), a], REQUEST, options);
    expect(out.model).toBe(a);
    expect(summarize(out.attempts)).toBe("b@r1 skipped_open, a@r1 skipped_open, a@r1#1 success (panic probe)");
    expect(await texts(out.events)).toEqual(["back again", "done"]);
    expect(registry.get("a", "r1").breaker.snapshot()).toMatchObject({ state: "closed", probes: { succeeded: 1 } });
  });
});
