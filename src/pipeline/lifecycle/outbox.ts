import type { SessionRecord } from "../../call/records";
import { outboxRetryDelayMs } from "../../lib/backoff";
import { errorMessage } from "../../lib/errors";
import { log } from "../../observability/log";
import type { OutboxJob } from "../../storage/call-row";
import type { CallRuntime } from "../call-runtime";
import { JOB_ARCHIVE, JOB_INDEX, runArchiveJob, runIndexJob } from "./archive-jobs";
import { JOB_RELEASE, runReleaseJob } from "./release-job";
import { JOB_EVENTS } from "../events";
import { JOB_ANALYSIS, runAnalysisJob } from "./analysis-job";

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
  // Events first, whether or not their job is due: the alarm that runs this is also what sends
  // events a restart left unsent, and the object must not empty with any left.
  const eventsJob = call.store.outbox().find((j) => j.job === JOB_EVENTS);
  try {
    await call.sendEvents();
    if (eventsJob) completed.push(JOB_EVENTS);
  } catch (err) {
    const job = eventsJob ?? { job: JOB_EVENTS, attempts: 0, nextAt: 0, state: {}, lastError: null };
    jobFailed(job, err, call.store.getSession());
    if (eventsJob) call.store.updateJob(job);
    else call.store.enqueue(JOB_EVENTS, job.nextAt);
  }
  // The analysis goes first, and holds the archive back until it is done, so the archive has it.
  const jobs = call.store.outbox().sort((a, b) => Number(b.job === JOB_ANALYSIS) - Number(a.job === JOB_ANALYSIS));
  const analysis = jobs.find((j) => j.job === JOB_ANALYSIS);
  for (const job of jobs) {
    if (job.nextAt > Date.now() || job.job === JOB_EVENTS) continue;
    if (job.job === JOB_ARCHIVE && analysis && !completed.includes(JOB_ANALYSIS)) {
      // Waits for the analysis: due again when it is, so the alarm does not fire for nothing meanwhile.
      if (job.nextAt < analysis.nextAt) call.store.updateJob({ ...job, nextAt: analysis.nextAt });
      continue;
    }
    try {
      if (job.job === JOB_ANALYSIS) await runAnalysisJob(call, job);
      else if (job.job === JOB_INDEX) d1RowsWritten += (await runIndexJob(call.env, call.store, job)).d1RowsWritten;
      else if (job.job === JOB_ARCHIVE) {
        const done = await runArchiveJob(call.env, call.store, job);
        archived = done?.session ?? null;
        d1RowsWritten += done?.d1RowsWritten ?? 0;
      } else if (job.job === JOB_RELEASE) await runReleaseJob(call);
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
  // A pending release or pending events live in this object: it must not empty before they have gone.
  if (archiveDone && !left.includes(JOB_RELEASE) && call.store.pendingEvents().length === 0) {
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

/** Events the queue refused after an answer (CallRuntime.flushEvents): the outbox tries again in a second. */
export async function retryEventsLater(call: CallRuntime): Promise<void> {
  if (!call.store.getSession() || call.store.pendingEvents().length === 0) return;
  call.store.enqueueIfAbsent(JOB_EVENTS, Date.now() + 1000);
  await reschedule(call);
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
