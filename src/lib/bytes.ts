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
