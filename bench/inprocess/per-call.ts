// The timing both in-process benches use. workerd's clock stands still while JavaScript runs and
// moves on I/O, so a batch is fenced by a timer (an I/O event) on both sides and its total divided
// by its size: never a single call's time.

const fence = () => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * Mean ms per call of `fn` (awaited, whether it returns a promise or not) over `n` calls, after `warm` calls not
 * counted.
 */
export async function perCall(n: number, fn: (i: number) => unknown, warm: number): Promise<number> {
  for (let i = 0; i < warm; i++) await fn(i);
  await fence();
  const t = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  await fence();
  return (performance.now() - t) / n;
}
