/**
 * Sets `key` as the map's newest entry (a Map iterates in insertion order, so deleting first moves
 * an existing key to the young end) and drops the oldest entries beyond `max`. The per-isolate and
 * per-object caches use it (key ids, seen checks, resampling filters), so none grows without bound.
 */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  for (const oldest of map.keys()) {
    if (map.size <= max) break;
    map.delete(oldest);
  }
}
