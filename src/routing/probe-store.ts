import type { ProbeErrorKind, ProbeKind, ProbeResult } from "./probe-result";

/**
 * Probe results in D1 (provider_probes): the latest per provider-region-kind, which is how a
 * probe run in the cron's isolate reaches every other isolate.
 */

/** A result older than this (three missed runs) is stale: shown, but no longer counted as failing. */
export const PROBE_STALE_MS = 15 * 60_000;

const UPSERT = `INSERT INTO provider_probes (provider, region, kind, ok, status, error_kind, error, \
latency_ms, probed_at, consecutive_failures)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (provider, region, kind) DO UPDATE SET
  ok = excluded.ok, status = excluded.status, error_kind = excluded.error_kind, error = excluded.error,
  latency_ms = excluded.latency_ms, probed_at = excluded.probed_at,
  consecutive_failures = CASE WHEN excluded.ok = 1 THEN 0 ELSE provider_probes.consecutive_failures + 1 END`;

/** Keeps the latest result per provider-region-kind, and drops rows of provider-regions no longer configured. */
export async function storeResults(db: D1Database, results: readonly ProbeResult[]): Promise<void> {
  const keys = JSON.stringify(results.map((r) => [r.provider, r.region, r.kind]));
  await db.batch([
    ...results.map((r) =>
      db
        .prepare(UPSERT)
        .bind(
          r.provider,
          r.region,
          r.kind,
          r.ok ? 1 : 0,
          r.status ?? null,
          r.errorKind ?? null,
          r.error ?? null,
          r.latencyMs ?? null,
          r.probedAt,
          r.ok ? 0 : 1,
        ),
    ),
    db
      .prepare(
        `DELETE FROM provider_probes WHERE NOT EXISTS (SELECT 1 FROM json_each(?) AS k
           WHERE json_extract(k.value, '$[0]') = provider AND json_extract(k.value, '$[1]') = region AND ` +
          "json_extract(k.value, '$[2]') = kind)",
      )
      .bind(keys),
  ]);
}

export interface StoredProbe extends ProbeResult {
  consecutiveFailures: number;
  /** Older than PROBE_STALE_MS: the probes stopped (turned off, or the cron is not running). */
  stale: boolean;
}

interface ProbeRow {
  provider: string;
  region: string;
  kind: ProbeKind;
  ok: number;
  status: number | null;
  error_kind: ProbeErrorKind | null;
  error: string | null;
  latency_ms: number | null;
  probed_at: string;
  consecutive_failures: number;
}

/** The latest probe results, as every isolate sees them. */
export async function readProbes(db: D1Database, nowMs = Date.now()): Promise<StoredProbe[]> {
  const { results } = await db.prepare("SELECT * FROM provider_probes ORDER BY kind, provider, region").all<ProbeRow>();
  return results.map((r) => ({
    provider: r.provider,
    region: r.region,
    kind: r.kind,
    ok: r.ok === 1,
    ...(r.status !== null ? { status: r.status } : {}),
    ...(r.error_kind !== null ? { errorKind: r.error_kind } : {}),
    ...(r.error !== null ? { error: r.error } : {}),
    ...(r.latency_ms !== null ? { latencyMs: Math.round(r.latency_ms) } : {}),
    probedAt: r.probed_at,
    consecutiveFailures: r.consecutive_failures,
    stale: nowMs - Date.parse(r.probed_at) > PROBE_STALE_MS,
  }));
}
