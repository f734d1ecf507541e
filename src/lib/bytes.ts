/** Joins typed-array pieces (audio chunks, PCM blocks) into one array of the same kind. */
export function concatArrays<T extends Uint8Array | Int16Array>(make: (length: number) => T, pieces: readonly T[]): T {
  if (pieces.length === 1) return pieces[0] as T;
  const out = make(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export const concatBytes = (pieces: readonly Uint8Array[]): Uint8Array =>
  concatArrays((n) => new Uint8Array(n), pieces);
export const concatSamples = (pieces: readonly Int16Array[]): Int16Array =>
  concatArrays((n) => new Int16Array(n), pieces);

/**
 * A stream's bytes, or `undefined` as soon as more than `max` arrived: the rest is cancelled, never
 * buffered, whatever a Content-Length said (request bodies, tools' and providers' answers).
 */
export async function readAtMost(
  body: ReadableStream<Uint8Array> | null,
  max: number,
): Promise<Uint8Array | undefined> {
  if (!body) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return concatBytes(chunks);
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
}
