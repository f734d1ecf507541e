import { randomAlphanumeric, sha256Hex, timingSafeEqualStrings } from "./crypto";
import type { Residency } from "../storage/residency";
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
    .prepare(
      "INSERT INTO api_keys (key_id, tenant_id, name, scopes, key_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(keyId, input.tenantId, input.name ?? null, JSON.stringify(scopes), await sha256Hex(key), createdAt)
    .run();
  return {
    key,
    stored: { keyId, tenantId: input.tenantId, name: input.name ?? null, scopes, createdAt, revokedAt: null, lastUsedAt: null, residency: input.residency },
  };
}

/** Returns the key's record when the presented key is valid and not revoked, else null. */
export async function verifyKey(db: D1Database, presented: string): Promise<StoredKey | null> {
  const match = KEY_PATTERN.exec(presented);
  if (!match) return null;
  const row = await db.prepare(`${SELECT_KEYS} WHERE k.key_id = ?`).bind(match[1]).first<KeyRow>();
  // A rotated key may be revoked in the future (its grace period): refused from that moment on.
  if (!row || (row.revoked_at !== null && row.revoked_at <= new Date().toISOString())) return null;
  const ok = await timingSafeEqualStrings(await sha256Hex(presented), row.key_hash);
  return ok ? fromRow(row) : null;
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
 * Revokes at `at` (default now): verifyKey reads D1 on every request, so the first request after
 * that moment is refused. An earlier revocation is never pushed later.
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
 */
export async function rotateKey(db: D1Database, old: StoredKey, graceSeconds: number): Promise<{ key: string; stored: StoredKey; previousExpiresAt: string }> {
  const created = await createKey(db, { tenantId: old.tenantId, scopes: old.scopes, name: old.name ?? undefined, residency: old.residency });
  const expires = new Date(Date.now() + graceSeconds * 1000);
  await revokeKey(db, old.keyId, expires);
  return { ...created, previousExpiresAt: expires.toISOString() };
}
