/**
 * Polls `fn` every 10 ms until it returns a value (not undefined or false), and returns it; throws
 * naming `what` after `timeoutMs`. For what a test sees arrive asynchronously (socket messages,
 * background writes) and cannot await directly.
 */
export async function waitFor<T>(fn: () => T | undefined | false, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
