import { digestsEqual, randomAlphanumeric, sha256Hex } from "./crypto";
import type { Residency } from "../call/residency";
import type { Scope } from "./scopes";

/**
 * Tenant API keys: `ve_<keyId>_<secret>`. The key id is public (it names the row); the whole key
 * is shown once at creation and only its SHA-256 is stored, so a D1 leak reveals no usable key.
 * 43 random base62 characters (≈ 256 bits) make guessing hopeless and leave no need for a slow hash.
 */
const KEY_PATTERN = /^ve_([A-Za-z0-9]{12})_([A-Za-z0-9]{43})$/;

export interface StoredKey {
  keyId: string;
  tenantId: string;
  name: string | null;
  scopes: Scope[];
  createdAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
  /** The tenant's residency (see storage/residency-store.ts), null when unrestricted. */
  residency: Residency | null;
}

interface KeyRow {
  key_id: string;
  tenant_id: string;
  name: string | null;
  scopes: string;
  key_hash: string;
  created_at: string;
  revoked_at: string | null;
  last_used_at: string | null;
  residency: Residency | null;
}

/** Key rows with their tenant's residency: one query serves authentication and placement. */
const SELECT_KEYS = "SELECT k.*, t.residency FROM api_keys k LEFT JOIN tenants t ON t.tenant_id = k.tenant_id";

function fromRow(row: KeyRow): StoredKey {
  return {
    keyId: row.key_id,
    tenantId: row.tenant_id,
    name: row.name,
    scopes: JSON.parse(row.scopes) as Scope[],
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
    residency: row.residency ?? null,
  };
}

export async function createKey(
  db: D1Database,
  input: { tenantId: string; scopes: Scope[]; name?: string | undefined; residency: Residency | null },
): Promise<{ key: string; stored: StoredKey }> {
  const keyId = randomAlphanumeric(12);
  const secret = randomAlphanumeric(43); // ≈ 256 bits
  const key = `ve_${keyId}_${secret}`;
  const createdAt = new Date().toISOString();
  const scopes = [...new Set(input.scopes)];
  await db
    .prepare("INSERT INTO api_keys (key_id, tenant_id, name, scopes, key_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)")
    .bind(keyId, input.tenantId, input.name ?? null, JSON.stringify(scopes), await sha256Hex(key), createdAt)
    .run();
  return {
    key,
    stored: {
      keyId,
      tenantId: input.tenantId,
      name: input.name ?? null,
      scopes,
      createdAt,
      revokedAt: null,
      lastUsedAt: null,
      residency: input.residency,
    },
  };
}

/**
 * What authentication needs of a key. Everything here is written once when the key is created and
 * never changes, except `revokedAt`: that is why a key id's tenant, scopes, residency and hash may
 * be cached anywhere (key-cache.ts), while only the tenant's TenantLimits object, told of every
 * change (keyChanged), answers whether the key is still usable.
 */
export interface KeyRecord {
  keyId: string;
  tenantId: string;
  scopes: Scope[];
  residency: Residency | null;
  /** Hex SHA-256 of the whole key. */
  keyHash: string;
  revokedAt: string | null;
}

/** The key id of a well-formed key, else null (nothing is looked up for a malformed one). */
export function keyIdOf(presented: string): string | null {
  return KEY_PATTERN.exec(presented)?.[1] ?? null;
}

/** The hash a key is stored as; only this travels to the limits object, never the key. */
export function hashKey(presented: string): Promise<string> {
  return sha256Hex(presented);
}

/** The authentication record of a key id in D1 (the one query the Worker and TenantLimits share). */
export async function readKeyRecord(db: D1Database, keyId: string): Promise<KeyRecord | null> {
  const row = await db.prepare(`${SELECT_KEYS} WHERE k.key_id = ?`).bind(keyId).first<KeyRow>();
  if (!row) return null;
  const { keyId: id, tenantId, scopes, residency, revokedAt } = fromRow(row);
  return { keyId: id, tenantId, scopes, residency, keyHash: row.key_hash, revokedAt };
}

/**
 * Whether a presented key (as its hash) opens this record at `nowMs`: the hashes compared in
 * constant time, and not revoked. A rotated key is revoked in the future (its grace period) and is
 * refused from that moment on. The Worker (http/middleware/auth.ts) and the limits object both decide with this.
 */
export function keyUsable(record: KeyRecord, presentedHash: string, nowMs: number): boolean {
  const matches = digestsEqual(presentedHash, record.keyHash);
  const revoked = record.revokedAt !== null && Date.parse(record.revokedAt) <= nowMs;
  return matches && !revoked;
}

export async function listKeys(db: D1Database, tenantId?: string): Promise<StoredKey[]> {
  const stmt = tenantId
    ? db.prepare(`${SELECT_KEYS} WHERE k.tenant_id = ? ORDER BY k.created_at DESC`).bind(tenantId)
    : db.prepare(`${SELECT_KEYS} ORDER BY k.created_at DESC`);
  const { results } = await stmt.all<KeyRow>();
  return results.map(fromRow);
}

export async function getKey(db: D1Database, keyId: string): Promise<StoredKey | null> {
  const row = await db.prepare(`${SELECT_KEYS} WHERE k.key_id = ?`).bind(keyId).first<KeyRow>();
  return row ? fromRow(row) : null;
}

/**
 * Revokes at `at` (default now); an earlier revocation is never pushed later. This only writes D1:
 * the caller must then tell the tenant's limits object (keyChanged), which answers for the key on
 * every request, before it reports the revocation as done (http/routes/admin.ts).
 */
export async function revokeKey(db: D1Database, keyId: string, at: Date = new Date()): Promise<boolean> {
  const when = at.toISOString();
  const res = await db
    .prepare("UPDATE api_keys SET revoked_at = ?1 WHERE key_id = ?2 AND (revoked_at IS NULL OR revoked_at > ?1)")
    .bind(when, keyId)
    .run();
  return (res.meta.changes ?? 0) > 0;
}

/**
 * Rotation: a new key with the same tenant, scopes and name, and the old one revoked after
 * `graceSeconds` (0: at once), so a fleet can switch keys without a moment with none that works.
 * Like revokeKey, it only writes D1; the caller tells the tenant's limits object.
 */
export async function rotateKey(
  db: D1Database,
  old: StoredKey,
  graceSeconds: number,
): Promise<{ key: string; stored: StoredKey; previousExpiresAt: string }> {
  const created = await createKey(db, {
    tenantId: old.tenantId,
    scopes: old.scopes,
    name: old.name ?? undefined,
    residency: old.residency,
  });
  const expires = new Date(Date.now() + graceSeconds * 1000);
  await revokeKey(db, old.keyId, expires);
  return { ...created, previousExpiresAt: expires.toISOString() };
}

/**
 * Undoes a rotation whose new key was never shown (the limits object could not be told, so the
 * route answers 503 and the client retries the rotation): the new key is deleted, and the old
 * key's revocation cleared only if it is still the one this rotation set (a revocation made since
 * stands). Both in one batch, so either both happen or neither.
 */
export async function undoRotation(
  db: D1Database,
  oldKeyId: string,
  newKeyId: string,
  previousExpiresAt: string,
): Promise<void> {
  await db.batch([
    db.prepare("DELETE FROM api_keys WHERE key_id = ?").bind(newKeyId),
    db
      .prepare("UPDATE api_keys SET revoked_at = NULL WHERE key_id = ? AND revoked_at = ?")
      .bind(oldKeyId, previousExpiresAt),
  ]);
}
