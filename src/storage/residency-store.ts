import { ApiError } from "../lib/errors";
import type { Residency } from "../call/residency";

/**
 * Residency records in D1. A tenant's residency is chosen with its first API key and never
 * changes afterwards: the tenant's calls are looked up in the namespace and bucket it names, so
 * changing it would hide every call made before. A call of an unrestricted tenant may still ask
 * for EU residency; the call directory remembers those, since the call id alone cannot say.
 */

/**
 * Records the residency of a new tenant, or checks it against an existing one. A tenant that
 * already has keys or calls but no residency record was created unrestricted: it stays so.
 */
export async function claimTenantResidency(
  db: D1Database,
  tenantId: string,
  wanted: Residency | null | undefined,
): Promise<Residency | null> {
  const existing = await db
    .prepare(
      `SELECT (SELECT residency FROM tenants WHERE tenant_id = ?1) AS residency,
              EXISTS (SELECT 1 FROM tenants WHERE tenant_id = ?1) AS known,
              EXISTS (SELECT 1 FROM api_keys WHERE tenant_id = ?1) OR ` +
        "EXISTS (SELECT 1 FROM calls WHERE tenant_id = ?1) AS used",
    )
    .bind(tenantId)
    .first<{ residency: Residency | null; known: number; used: number }>();
  const current: Residency | null = existing?.residency ?? null;
  const settled = Boolean(existing?.known) || Boolean(existing?.used);
  const stored = settled ? current : await insertTenant(db, tenantId, wanted ?? null);
  if (wanted === undefined || stored === wanted) return stored;
  throw new ApiError(
    409,
    "residency_conflict",
    `Tenant '${tenantId}' already exists with residency ${stored ?? "none"}; a tenant's residency is fixed ` +
      "when its first key is created. Create the key without residency, or use a new tenant id.",
  );
}

/** A tenant's residency as recorded (null: unrestricted, or no record), for routes with no API key. */
export async function tenantResidencyOf(db: D1Database, tenantId: string): Promise<Residency | null> {
  const row = await db
    .prepare("SELECT residency FROM tenants WHERE tenant_id = ?")
    .bind(tenantId)
    .first<{ residency: Residency | null }>();
  return row?.residency ?? null;
}

/** Inserts the tenant unless a concurrent first key got there first; returns what is stored. */
async function insertTenant(db: D1Database, tenantId: string, residency: Residency | null): Promise<Residency | null> {
  const row = await db
    .prepare(
      "INSERT INTO tenants (tenant_id, residency, created_at) VALUES (?, ?, ?) ON " +
        "CONFLICT (tenant_id) DO UPDATE SET tenant_id = tenant_id RETURNING residency",
    )
    .bind(tenantId, residency, new Date().toISOString())
    .first<{ residency: Residency | null }>();
  return row?.residency ?? null;
}

export async function recordCallResidency(
  db: D1Database,
  tenantId: string,
  callId: string,
  residency: Residency,
): Promise<void> {
  await db
    .prepare(
      "INSERT INTO call_residency (tenant_id, call_id, residency, created_at) " +
        "VALUES (?, ?, ?, ?) ON CONFLICT (tenant_id, call_id) DO NOTHING",
    )
    .bind(tenantId, callId, residency, new Date().toISOString())
    .run();
}

/** The residency a call asked for itself, or null when it follows its tenant. */
export async function callResidencyOf(db: D1Database, tenantId: string, callId: string): Promise<Residency | null> {
  const row = await db
    .prepare("SELECT residency FROM call_residency WHERE tenant_id = ? AND call_id = ?")
    .bind(tenantId, callId)
    .first<{ residency: Residency }>();
  return row?.residency ?? null;
}

export async function forgetCallResidency(db: D1Database, tenantId: string, callId: string): Promise<void> {
  await db.prepare("DELETE FROM call_residency WHERE tenant_id = ? AND call_id = ?").bind(tenantId, callId).run();
}

/** Whether D1 knows the call id: a warm row, or a directory entry for an EU call of this tenant. */
export async function callIdRecorded(db: D1Database, tenantId: string, callId: string): Promise<boolean> {
  const row = await db
    .prepare(
      "SELECT EXISTS (SELECT 1 FROM calls WHERE tenant_id = ?1 AND call_id = ?2) OR EXISTS " +
        "(SELECT 1 FROM call_residency WHERE tenant_id = ?1 AND call_id = ?2) AS taken",
    )
    .bind(tenantId, callId)
    .first<{ taken: number }>();
  return Boolean(row?.taken);
}
