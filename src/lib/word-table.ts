/**
 * Word lookup tables as Maps. Caller text is looked up in them, and a plain object would answer
 * "constructor" or "toString" from its prototype; a Map only knows the words it was given.
 */
export function wordTable<V>(entries: Readonly<Record<string, V>>): ReadonlyMap<string, V> {
  return new Map(Object.entries(entries));
}
