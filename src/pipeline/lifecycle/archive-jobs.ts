import { inSpan } from "../../observability/tracing";
import { addToShards, namespaceOf } from "../../observability/metrics-global";
import type { CallArchive } from "../../storage/archive-types";
import { auditUseStatements } from "../../storage/audit";
import { putArchive } from "../../storage/cold-store";
import { archiveKeyringState, archiveKeysUnavailable } from "../../storage/encryption";
import { archiveBucket } from "../../storage/residency";
import { indexCall, writeCallArchive } from "../../storage/warm-store";
import { replyTexts } from "../recording";
import type { SessionRecord } from "../../call/records";
import type { CallStore } from "../../storage/call-store";
import type { OutboxJob, Pending } from "../../storage/call-row";
import { log } from "../../observability/log";

/**
 * Outbox jobs: the call's Durable Object records what must reach D1, R2 and the metrics shards,
 * and these functions do it. Each step is idempotent or records its progress in the job, so a
 * retry after a partial failure redoes only what is missing and nothing is ever dropped.
 *
 * Everything reaches R2 encrypted (src/storage/encryption.ts). Without usable ARCHIVE_KEYS the R2
 * step fails before writing anything: the call stays in its Durable Object and the job is retried
 * with backoff, so setting the secret is enough to let the backlog drain.
 */

/** The sync: the call's D1 index row, its pending audit uses and metric deltas. */
export const JOB_INDEX = "index";
export const JOB_ARCHIVE = "archive";

export interface SyncStats {
  d1RowsWritten: number;
}

export async function runIndexJob(env: Env, store: CallStore, job: OutboxJob): Promise<SyncStats> {
  const session = store.getSession();
  if (!session) return { d1RowsWritten: 0 };
  return flushPending(env, store, job, session, (audit) => indexCall(env.DB, session, audit));
}

/**
 * Sends what the call has gathered since its last sync: metric deltas to a shard, then audit rows
 * in the same D1 batch as `write` (the index row, or the archive), then clears exactly what was
 * sent. A failure after the shard update leaves `job.state.sentMetrics` saying what the shard
 * already has, so the retry sends only the rest (the outbox persists job state on failure).
 */
async function flushPending(
  env: Env,
  store: CallStore,
  job: OutboxJob,
  session: SessionRecord,
  write: (audit: D1PreparedStatement[]) => Promise<number>,
  options: { clear: boolean; pending?: Pending } = { clear: true },
): Promise<SyncStats> {
  const pending: Pending = options.pending ?? store.pending();
  const sent = (job.state.sentMetrics ?? {}) as Record<string, number>;
  const toSend: Record<string, number> = {};
  for (const [series, v] of Object.entries(pending.metrics)) {
    const rest = v - (sent[series] ?? 0);
    if (rest !== 0) toSend[series] = rest;
  }
  const namespace = namespaceOf(env);
  if (namespace && Object.keys(toSend).length) await addToShards({ namespace }, toSend);
  job.state.sentMetrics = pending.metrics;
  const d1RowsWritten = await write(auditUseStatements(env.DB, session.tenantId, session.callId, pending.uses));
  // The archive does not clear: the object empties right after (a crash in between re-sends the
  // shard its deltas once more, the only way a count can be doubled), or, if the release still has
  // to run, the archive job is complete and nothing sends these figures again.
  if (options.clear) store.clearPending(pending);
  delete job.state.sentMetrics;
  return { d1RowsWritten };
}

/**
 * What the archive sends when the call's ended state is not in its store yet (CallSession.end
 * archives before it writes anything): the ended session and the figures pending with the end's.
 */
export interface EndingCall {
  session: SessionRecord;
  pending: Pending;
}

/** Returns the session as archived (archivedAt set) once both tiers hold the call. */
export function runArchiveJob(
  env: Env,
  store: CallStore,
  job: OutboxJob,
  ending?: EndingCall,
): Promise<{ session: SessionRecord; d1RowsWritten: number } | null> {
  return inSpan("archive", { "voice.job": JOB_ARCHIVE, "voice.job.attempts": job.attempts }, () =>
    archiveCall(env, store, job, ending),
  );
}

async function archiveCall(
  env: Env,
  store: CallStore,
  job: OutboxJob,
  ending?: EndingCall,
): Promise<{ session: SessionRecord; d1RowsWritten: number } | null> {
  let session = ending?.session ?? store.getSession();
  if (!session) return null;
  const history = store.history();

  if (!job.state.r2) {
    const keys = archiveKeyringState(env);
    if (!keys.ok) {
      log(
        "archive_encryption_unavailable",
        {
          tenantId: session.tenantId,
          callId: session.callId,
          problem: keys.problem,
          action: "call kept in its Durable Object; archive retried with backoff",
        },
        "error",
      );
      throw archiveKeysUnavailable(keys.problem); // recorded as the job's last error, retried with backoff
    }
    const bucket = archiveBucket(env, session.residency);
    // One object a call (archive version 4): the transcript, then every stored audio piece back to
    // back, listed with its offset. One R2 write (and one encryption) a call, since R2 bills per
    // write, and the archive is either whole or absent. Replies spoken from the speech cache are
    // listed by reference (call-audio.ts), not copied. The whole-call recording is built from the
    // pieces when it is asked for, not stored a second time.
    const texts = replyTexts(history);
    const listed: CallArchive["audio"] = [];
    const copies: Uint8Array[] = [];
    let offset = 0;
    for (const a of store.audio()) {
      const format = {
        turnId: a.turnId,
        kind: a.kind,
        mediaType: a.mediaType,
        format: a.format,
        sampleRate: a.sampleRate,
      };
      if ("cacheKey" in a) {
        listed.push({
          ...format,
          ref: { cacheKey: a.cacheKey, text: texts.get(a.turnId) ?? "", language: session.language },
        });
        continue;
      }
      listed.push({ ...format, inline: true, offset, bytes: a.bytes.byteLength });
      copies.push(a.bytes);
      offset += a.bytes.byteLength;
    }
    const archivedAt = new Date().toISOString();
    session = { ...session, archivedAt };
    await putArchive(
      env,
      bucket,
      { version: 4, archivedAt, session, history, audio: listed, recordingKey: null },
      copies,
    );
    // Progress is kept in the job, which the outbox persists only if a later step fails: on the
    // usual path the object empties right after and the row write would be wasted.
    job.state.r2 = true;
    job.state.archivedAt = archivedAt;
  } else if (typeof job.state.archivedAt === "string") {
    session = { ...session, archivedAt: job.state.archivedAt };
  }

  let d1RowsWritten = 0;
  if (!job.state.d1) {
    const archived = session;
    // The last step: the outbox completes the job next, so its progress needs no row of its own.
    ({ d1RowsWritten } = await flushPending(
      env,
      store,
      job,
      archived,
      (audit) => writeCallArchive(env.DB, archived, history, audit),
      { clear: false, ...(ending ? { pending: ending.pending } : {}) },
    ));
    job.state.d1 = true;
  }
  return { session, d1RowsWritten };
}
