import { getConfig } from "../config/config";
import { TTS_CACHE_PREFIX } from "./speech-cache";
import { transcriptExists } from "./cold-store";
import { archiveBucket, archiveBuckets } from "./residency";
import type { Residency } from "../call/residency";
import { deleteCallRows } from "./warm-store";
import { deleteEventsBefore } from "./webhook-deliveries";
import { log } from "../observability/log";

const DAY_MS = 86_400_000;

/**
 * The scheduled retention job. Warm: ended calls older than WARM_RETENTION_DAYS leave D1, but only
 * those whose R2 archive exists (archived_at set and transcript present), so nothing is lost.
 * Cold: archives older than COLD_RETENTION_DAYS are deleted from R2, and so is cached speech
 * older than TTS_CACHE_TTL_SECONDS.
 */
/** Deletes every object under `prefix` uploaded before `cutoff` (ms), a listing page at a time. */
async function deleteOlderThan(bucket: R2Bucket, prefix: string, cutoff: number): Promise<number> {
  let deleted = 0;
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix, ...(cursor ? { cursor } : {}) });
    const expired = page.objects.filter((o) => o.uploaded.getTime() < cutoff).map((o) => o.key);
    if (expired.length) await bucket.delete(expired);
    deleted += expired.length;
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return deleted;
}

export async function runRetention(
  env: Env,
  now: Date,
): Promise<{ warmMoved: number; coldDeleted: number; cacheDeleted: number; eventsDeleted: number }> {
  const cfg = getConfig(env);
  const warmCutoff = new Date(now.getTime() - cfg.WARM_RETENTION_DAYS * DAY_MS).toISOString();
  const coldCutoff = now.getTime() - cfg.COLD_RETENTION_DAYS * DAY_MS;

  let warmMoved = 0;
  const { results } = await env.DB.prepare(
    "SELECT tenant_id, call_id, residency FROM calls WHERE status = " +
      "'ended' AND ended_at < ? AND archived_at IS NOT NULL LIMIT 500",
  )
    .bind(warmCutoff)
    .all<{ tenant_id: string; call_id: string; residency: Residency | null }>();
  for (const row of results) {
    // Never drop the warm copy of a call the cold tier (the bucket of its residency) does not hold.
    if (!(await transcriptExists(archiveBucket(env, row.residency), row.tenant_id, row.call_id))) continue;
    await deleteCallRows(env.DB, row.tenant_id, row.call_id);
    warmMoved++;
  }

  let coldDeleted = 0;
  let cacheDeleted = 0;
  for (const { bucket } of archiveBuckets(env)) {
    coldDeleted += await deleteOlderThan(bucket, "tenants/", coldCutoff);
    cacheDeleted += await deleteOlderThan(bucket, TTS_CACHE_PREFIX, now.getTime() - cfg.TTS_CACHE_TTL_SECONDS * 1000);
  }
  // Directory entries of EU calls whose archive has expired: nothing is left for them to locate.
  await env.DB.prepare("DELETE FROM call_residency WHERE created_at < ?")
    .bind(new Date(coldCutoff).toISOString())
    .run();

  // Events kept for webhook deliveries carry transcripts, as the warm tier does: they leave with it.
  const eventsDeleted = await deleteEventsBefore(env.DB, warmCutoff);

  log("retention", { warmMoved, coldDeleted, cacheDeleted, eventsDeleted, warmCutoff });
  return { warmMoved, coldDeleted, cacheDeleted, eventsDeleted };
}
