import { setBounded } from "../lib/bounded-map";
import { readKeyRecord, type KeyRecord } from "./api-keys";

/**
 * Per-isolate cache of what never changes about a key once it exists: key id → tenant, scopes,
 * residency and the key's hash (KeyRecord without `revokedAt`). It lets requireScope admit a
 * request (alone, or with a `lease` from the tenant's TenantLimits object) without reading D1 first.
 *
 * Why module-level state and not per-request state: every entry is a fact fixed when the key was
 * created (keys are never re-tenanted, re-scoped or re-hashed; rotation makes a new key id), so an
 * entry is never wrong, however old, and sharing it between the requests of an isolate leaks
 * nothing between tenants: each entry is reached only by a request presenting a key whose hash
 * matches it (a request with a wrong secret reaches one only to be refused by it). What does
 * change, revocation, is never answered from here: the tenant's object is
 * told of every revocation before the API reports it (keyChanged) and decides every request.
 * The hash lets a wrong secret be refused here, so it never costs the tenant's object anything.
 *
 * Bounded, the least recently used entry dropped first: a miss costs one D1 read, as before.
 */
export type KeyIdentity = Omit<KeyRecord, "revokedAt">;

export const KEY_CACHE_MAX_ENTRIES = 10_000;

/**
 * A key id D1 does not hold. It is cached too, so that refusing an unknown key id takes the same
 * path and time as refusing a wrong secret for a known one (a cache hit and one hash comparison):
 * otherwise the D1 read only unknown ids pay tells a prober which key ids exist. Kept for a
 * minute: key ids are random, so one is almost never probed before it is created, and the
 * minute bounds the wait if it was.
 */
export const ABSENT_KEY = "absent";
export const ABSENT_KEY_TTL_MS = 60_000;

/**
 * What an absent key id's presented hash is compared with: as long as a SHA-256 hex digest, and
 * never equal to one (not hex), so the comparison costs the same and always fails.
 */
export const ABSENT_KEY_HASH = "z".repeat(64);

/** `refused`: a wrong secret was presented with this key id in this isolate (see firstRefusal). */
type Entry = (KeyIdentity & { refused?: true }) | { absentUntil: number };

const entries = new Map<string, Entry>();

/** The cached identity of a key id (or ABSENT_KEY when D1 lately did not hold it), marked as recently used. */
export function cachedKey(keyId: string, now = Date.now()): KeyIdentity | typeof ABSENT_KEY | undefined {
  const hit = entries.get(keyId);
  if (!hit) return undefined;
  entries.delete(keyId);
  if ("absentUntil" in hit) {
    if (hit.absentUntil <= now) return undefined;
    entries.set(keyId, hit);
    return ABSENT_KEY;
  }
  // Map iteration follows insertion order: re-inserting moves the entry to the young end.
  entries.set(keyId, hit);
  return hit;
}

/**
 * A wrong secret for a key id this isolate knows: true the first time. The caller then makes the D1
 * read that the first try of an unknown id makes, so the first probe of an id answers as slowly
 * whether the id exists (and is in use here) or not, and every later probe as fast.
 */
export function firstRefusal(keyId: string): boolean {
  const hit = entries.get(keyId);
  if (!hit || "absentUntil" in hit || hit.refused) return false;
  entries.set(keyId, { ...hit, refused: true });
  return true;
}

/** Caches that D1 holds no key with this id (see ABSENT_KEY). */
export function rememberAbsentKey(keyId: string, now = Date.now()): void {
  setBounded(entries, keyId, { absentUntil: now + ABSENT_KEY_TTL_MS }, KEY_CACHE_MAX_ENTRIES);
}

/** Caches what never changes about a key read from D1 (whether or not the secret presented with it matched). */
export function rememberKey(record: KeyRecord): void {
  const { keyId, tenantId, scopes, residency, keyHash } = record;
  setBounded(entries, keyId, { keyId, tenantId, scopes: [...scopes], residency, keyHash }, KEY_CACHE_MAX_ENTRIES);
}

/**
 * Drops a key id (its object refused it: revoked, or not found). The next request with it reads
 * D1 again, which refuses a revoked key without bothering the tenant's object.
 */
export function forgetKey(keyId: string): void {
  entries.delete(keyId);
}

/**
 * A key id's identity from this isolate's cache, or else from D1 (`fresh`: the record just read,
 * revocation included), which is then cached whether the key exists or not.
 */
export async function identifyKey(
  db: D1Database,
  keyId: string,
): Promise<{ known: KeyIdentity | typeof ABSENT_KEY; fresh?: KeyRecord }> {
  const cached = cachedKey(keyId);
  if (cached !== undefined) return { known: cached };
  const record = await readKeyRecord(db, keyId);
  if (!record) {
    rememberAbsentKey(keyId);
    return { known: ABSENT_KEY };
  }
  rememberKey(record);
  return { known: record, fresh: record };
}
