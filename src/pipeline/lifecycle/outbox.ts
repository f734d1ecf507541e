import type { SessionRecord } from "../../call/records";
import { outboxRetryDelayMs } from "../../lib/backoff";
import { errorMessage } from "../../lib/errors";
import { log } from "../../observability/log";
import type { OutboxJob } from "../../storage/call-row";
import type { CallRuntime } from "../call-runtime";
import { JOB_ARCHIVE, JOB_INDEX, runArchiveJob, runIndexJob } from "./archive-jobs";
import { JOB_RELEASE, runReleaseJob } from "./release-job";

/**
 * The call's outbox: jobs its object owes D1, R2, the metrics shards and its tenant's limits
 * object (the sync, the archive, the slot's release), kept in the call's own row and run here.
 * A failed job is retried by the alarm with a growing backoff, never dropped. The object's one
 * alarm serves the outbox and the idle timeout alike (reschedule).
 */

/**
 * Runs every due outbox job once. Failures are recorded with a backoff and retried by the
 * alarm; they are never dropped. When the archive is complete and the call's slot given back,
 * the hot copy is released.
 */
export async function drainOutbox(call: CallRuntime): Promise<{ pending: boolean }> {
  let archived: SessionRecord | null = null;
  let d1RowsWritten = 0;
  const completed: string[] = [];
  for (const job of call.store.outbox()) {
    if (job.nextAt > Date.now()) continue;
    try {
      if (job.job === JOB_INDEX) d1RowsWritten += (await runIndexJob(call.env, call.store, job)).d1RowsWritten;
      else if (job.job === JOB_ARCHIVE) {
        const done = await runArchiveJob(call.env, call.store, job);
        archived = done?.session ?? null;
        d1RowsWritten += done?.d1RowsWritten ?? 0;
      } else if (job.job === JOB_RELEASE) await runReleaseJob(call.env, call.store);
      completed.push(job.job);
    } catch (err) {
      jobFailed(job, err, call.store.getSession());
      call.store.updateJob(job);
    }
  }
  const session = call.store.getSession();
  const left = call.store
    .outbox()
    .map((j) => j.job)
    .filter((j) => !completed.includes(j));
  // A mid-call sync writes no line of its own (Workers Logs bills each); a failed one logs outbox_retry.
  if (archived) logArchived(call, session, d1RowsWritten);
  // Archived now, or by an earlier run that left a release pending (archivedAt is set, no archive job is left).
  const archiveDone =
    archived !== null || (session?.status === "ended" && Boolean(session.archivedAt) && !left.includes(JOB_ARCHIVE));
  // A pending release lives in this outbox: the object must not empty before it has run.
  if (archiveDone && !left.includes(JOB_RELEASE)) {
    // D1 and R2 both hold the call now: reads fall through to them and this object empties.
    // (Completed jobs are not written down first: the object is about to hold nothing.)
    await call.wipe();
    return { pending: false };
  }
  // One write for the jobs that completed (and the archived session, when the archive did).
  if (completed.length) call.store.completeJobs(completed, archived ?? undefined);
  return { pending: session?.status === "ended" && !archiveDone };
}

/** Sets the object's one alarm for its next due job or its idle timeout, whichever comes first. */
export async function reschedule(call: CallRuntime): Promise<void> {
  const session = call.store.getSession();
  const times = call.store.outbox().map((j) => j.nextAt);
  if (session?.status === "active") times.push(idleDeadline(call, session));
  if (times.length === 0) {
    await call.storage.deleteAlarm();
    return;
  }
  const wanted = Math.max(Date.now(), Math.min(...times));
  // An alarm already set no later than wanted is as good: when it fires, the alarm finds nothing
  // due yet and sets the next one. Moving the idle alarm later on every turn would cost a
  // storage write per turn; this costs at most one early alarm per idle timeout.
  const current = await call.storage.getAlarm();
  if (current !== null && current <= wanted) return;
  await call.storage.setAlarm(wanted);
}

/** When an active call ends by itself: CALL_IDLE_TIMEOUT_SECONDS after its last activity. */
export function idleDeadline(call: CallRuntime, session: SessionRecord): number {
  return Date.parse(session.lastActivityAt) + call.config.CALL_IDLE_TIMEOUT_SECONDS * 1000;
}

/** A failed outbox job: retried after a backoff that grows with its attempts, never dropped. */
export function jobFailed(job: OutboxJob, err: unknown, session: SessionRecord | null): void {
  job.attempts += 1;
  job.nextAt = Date.now() + outboxRetryDelayMs(job.attempts);
  job.lastError = errorMessage(err).slice(0, 500);
  log(
    "outbox_retry",
    {
      job: job.job,
      attempts: job.attempts,
      tenantId: session?.tenantId,
      callId: session?.callId,
      error: job.lastError,
    },
    "warn",
  );
}

/** Rows written are what D1 and Durable Object storage bill: bench/turns.mjs reads them here. */
export function logArchived(call: CallRuntime, session: SessionRecord | null, d1RowsWritten: number): void {
  log("archive_written", {
    tenantId: session?.tenantId,
    callId: session?.callId,
    d1RowsWritten,
    objectRowsWritten: call.store.rowsWritten,
  });
}
