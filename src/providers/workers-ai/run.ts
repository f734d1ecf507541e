import { ProviderError } from "../errors";
import { classifyBindingError, PROVIDER } from "./errors";
import type { AiRunner } from "./settings";

export interface RunOptions {
  timeoutMs: number;
  /** The client's signal: when the caller goes away the model call is abandoned too. */
  signal?: AbortSignal | undefined;
}

/**
 * `ai.run` under the same rules providerFetch applies to HTTP: a timeout joined with the client's
 * signal (passed on as AiOptions.signal, and also raced, since a binding may not stop at once),
 * and every failure classified. `read` turns the output into our result inside that window, so a
 * streamed answer that stalls times out too.
 */
export async function runModel<T>(
  ai: AiRunner,
  model: string,
  inputs: Record<string, unknown>,
  options: RunOptions,
  read: (output: unknown) => T | Promise<T>,
): Promise<T> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  let stop: () => void = () => {};
  const stopped = new Promise<never>((_resolve, reject) => {
    stop = () => reject(signal.reason);
    signal.addEventListener("abort", stop, { once: true });
  });
  // Whichever of the two loses the race must not surface as an unhandled rejection.
  stopped.catch(() => {});
  try {
    signal.throwIfAborted();
    const work = (async () => read(await ai.run(model, inputs, { signal })))();
    work.catch(() => {});
    return await Promise.race([work, stopped]);
  } catch (err) {
    if (options.signal?.aborted)
      throw new ProviderError(PROVIDER, "permanent", "request aborted by the client", { cause: err });
    if (timeout.aborted)
      throw new ProviderError(PROVIDER, "retryable", `no answer from ${model} within ${options.timeoutMs} ms`, {
        cause: err,
      });
    throw classifyBindingError(err);
  } finally {
    signal.removeEventListener("abort", stop);
  }
}
