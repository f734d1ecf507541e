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

/**
 * untilAborted for a loop of many awaits on one signal (a stream's chunks): one abort listener for
 * the loop instead of one added and removed per chunk, which showed in a call object's profile
 * with 25 streamed replies. race(work) settles as untilAborted(work, signal) would.
 */
export function abortRace(signal: AbortSignal): <T>(work: Promise<T>) => Promise<T> {
  const aborted = new Promise<never>((_resolve, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
  // Nobody may be racing when it aborts.
  aborted.catch(() => {});
  return <T>(work: Promise<T>) => {
    work.catch(() => {});
    // The abort first: when both have settled, an aborted signal wins, as in untilAborted.
    return signal.aborted ? Promise.reject(signal.reason as Error) : Promise.race([aborted, work]);
  };
}
