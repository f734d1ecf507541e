/**
 * Racing work against an AbortSignal. Adapters are asked to honour their signal, but one that does
 * not (a hung stream, an SDK that ignores it) must not hold a turn past its deadline: the caller
 * gets `signal.reason` as soon as the signal aborts, and the work goes on settling in the
 * background without surfacing as an unhandled rejection.
 */

/** Starts `run`; a synchronous throw becomes a rejected promise, like an async failure. */
export function start<T>(run: () => Promise<T>): Promise<T> {
  try {
    return run();
  } catch (err) {
    return Promise.reject(err);
  }
}

/** `work`'s outcome, or `signal.reason` as soon as the signal aborts, whichever comes first. */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  work.catch(() => {});
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
