/**
 * A language model's streamed answer, made resilient the way speech calls are (resilient-call.ts):
 * an attempt is "start the stream and wait for its first event", so rate limits (honouring
 * Retry-After), 5xx, network failures and a model that stays silent are retried or failed over to
 * the next model within the first-token deadline, each attempt with its share of it. Once the first
 * event has arrived the answer is committed to that model: its text may already be on its way to
 * the caller, so a later failure is thrown to the consumer instead of starting the answer again
 * elsewhere. A committed answer must end within the stream timeout.
 */
import type { AttemptRecord } from "../call/attempts";
import { ProviderError } from "../providers/errors";
import type { LanguageModel, LlmEvent, LlmRequest } from "../providers/llm/types";
import { HealthRegistry, llmHealthRegistry } from "./health-registry";
import { callWithResilience } from "./resilient-call";

export interface ModelStreamOptions {
  /** Time to the first event, retries and failover included (LLM_FIRST_TOKEN_TIMEOUT_MS). */
  firstTokenDeadlineMs: number;
  /** Time from the first event to the last (LLM_STREAM_TIMEOUT_MS). */
  streamTimeoutMs: number;
  /** The caller's signal: aborts the attempt in flight, or the committed stream. */
  signal?: AbortSignal | undefined;
  /** Calls to one model including the first (default 3). */
  maxAttemptsPerProvider?: number | undefined;
  /** Injected in tests. */
  registry?: HealthRegistry | undefined;
  now?: (() => number) | undefined;
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
  random?: (() => number) | undefined;
  timeout?: ((ms: number) => AbortSignal) | undefined;
}

export interface ModelStream {
  /** The model that answered. */
  model: LanguageModel;
  /**
   * Its answer, the first event included; ends after `done`, or throws (a ProviderError) if cut.
   * Leaving it once reading (break, `return()`) releases the provider's connection at once; one
   * never read is released when the stream timeout passes.
   */
  events: AsyncGenerator<LlmEvent, void, undefined>;
  /** What happened on the way to the first event (retries, failovers, skipped breakers). */
  attempts: AttemptRecord[];
}

interface Started {
  controller: AbortController;
  iterator: AsyncIterator<LlmEvent, void, undefined>;
}

/**
 * Opens the first of `models` (in order) that answers, as above. Throws AllProvidersFailedError
 * (routing/attempts.ts) when none sends a first event within the deadline, or at once when the
 * caller's signal aborts.
 */
export async function openModelStream(
  models: readonly LanguageModel[],
  request: LlmRequest,
  options: ModelStreamOptions,
): Promise<ModelStream> {
  const timeout = options.timeout ?? ((ms: number) => AbortSignal.timeout(ms));
  const started: Started[] = [];
  let winner: Started | undefined;
  try {
    const result = await callWithResilience(
      models,
      async (model, attemptSignal) => {
        // The stream gets its own signal: the attempt's ends with the attempt's share of the
        // first-token deadline, which must not cut a committed answer. Until then it follows it.
        const controller = new AbortController();
        const streamSignal = options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal;
        const stop = () => controller.abort(attemptSignal.reason);
        attemptSignal.addEventListener("abort", stop, { once: true });
        if (attemptSignal.aborted) stop();
        const entry: Started = { controller, iterator: model.stream(request, streamSignal)[Symbol.asyncIterator]() };
        started.push(entry);
        try {
          const first = await entry.iterator.next();
          if (first.done) throw new ProviderError(model.name, "invalid_response", "the stream ended without an event");
          return { entry, first: first.value };
        } finally {
          attemptSignal.removeEventListener("abort", stop);
        }
      },
      {
        deadlineMs: options.firstTokenDeadlineMs,
        signal: options.signal,
        maxAttemptsPerProvider: options.maxAttemptsPerProvider,
        registry: options.registry ?? llmHealthRegistry,
        now: options.now,
        sleep: options.sleep,
        random: options.random,
        timeout,
      },
    );
    winner = result.value.entry;
    const events = committed(result.provider, winner, result.value.first, options.streamTimeoutMs, timeout);
    return { model: result.provider, events, attempts: result.attempts };
  } finally {
    // Attempts that failed, timed out, or answered too late stop streaming and release their connections.
    const losers = started.filter((s) => s !== winner);
    for (const s of losers) s.controller.abort();
    await Promise.allSettled(losers.map((s) => s.iterator.return?.()));
  }
}

/**
 * The committed answer: the first event, then the rest as the model sends them, within the stream
 * timeout (started now, at commitment). Leaving early (break, return) stops the provider's stream.
 */
function committed(
  model: LanguageModel,
  entry: Started,
  first: LlmEvent,
  streamTimeoutMs: number,
  timeout: (ms: number) => AbortSignal,
): AsyncGenerator<LlmEvent, void, undefined> {
  const { controller, iterator } = entry;
  let timedOut = false;
  const timer = timeout(streamTimeoutMs);
  const onTimeout = () => {
    timedOut = true;
    controller.abort(timer.reason);
  };
  timer.addEventListener("abort", onTimeout, { once: true });
  const release = async () => {
    timer.removeEventListener("abort", onTimeout);
    controller.abort();
    await iterator.return?.();
  };
  async function* run(): AsyncGenerator<LlmEvent, void, undefined> {
    try {
      let event = first;
      for (;;) {
        yield event;
        if (event.type === "done") return;
        let next: IteratorResult<LlmEvent, void>;
        try {
          next = await iterator.next();
        } catch (err) {
          if (timedOut)
            throw new ProviderError(
              model.name,
              "retryable",
              `the answer did not finish within ${streamTimeoutMs} ms (LLM_STREAM_TIMEOUT_MS)`,
              { cause: err },
            );
          throw err;
        }
        if (next.done) throw new ProviderError(model.name, "invalid_response", "the stream ended without done");
        event = next.value;
      }
    } finally {
      await release();
    }
  }
  return run();
}
