import { setBounded } from "../lib/bounded-map";
import type { KeyRecord } from "./api-keys";

/**
 * Per-isolate cache of what never changes about a key once it exists: key id → tenant, scopes,
 * residency and the key's hash (KeyRecord without `revokedAt`). It lets requireScope go straight to
 * the one round trip a tenant request needs, the `authorize` RPC to the tenant's TenantLimits
 * object, without reading D1 first.
 *
 * Why module-level state and not per-request state: every entry is a fact fixed when the key was
 * created (keys are never re-tenanted, re-scoped or re-hashed; rotation makes a new key id), so an
 * entry is never wrong, however old, and sharing it between the requests of an isolate leaks
 * nothing between tenants: each entry is reached only by a request presenting a key whose hash
 * matches it. What does change, revocation, is never answered from here: the tenant's object is
 * told of every revocation before the API reports it (keyChanged) and decides every request.
 * The hash lets a wrong secret be refused here, so it never costs the tenant's object anything.
 *
 * Bounded, the least recently used entry dropped first: a miss costs one D1 read, as before.
 */
export type KeyIdentity = Omit<KeyRecord, "revokedAt">;

export const KEY_CACHE_MAX_ENTRIES = 10_000;

const entries = new Map<string, KeyIdentity>();

/** The cached identity of a key id, marked as recently used. */
export function cachedKey(keyId: string): KeyIdentity | undefined {
  const hit = entries.get(keyId);
  if (hit) {
    // Map iteration follows insertion order: re-inserting moves the entry to the young end.
    entries.delete(keyId);
    entries.set(keyId, hit);
  }
  return hit;
}

/** Caches a key verified against D1. */
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
