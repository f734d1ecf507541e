import type { EndReason, SessionRecord } from "../../call/records";
import { ApiError } from "../../lib/errors";
import { callEnded } from "../../observability/metrics-global";
import { addPending, emptyPending, newJob, type AuditUse, type OutboxJob } from "../../storage/call-row";
import type { CallRuntime } from "../call-runtime";
import type { CallEvent, EndResult } from "../types";
import { JOB_ARCHIVE, runArchiveJob } from "./archive-jobs";
import { keyUse, type KeyUser } from "./key-use";
import { drainOutbox, idleDeadline, jobFailed, logArchived, reschedule } from "./outbox";
import { JOB_RELEASE, runReleaseJob } from "./release-job";
import { ANALYSIS_DELAY_MS, JOB_ANALYSIS, needsAnalysis } from "./analysis-job";
import { endedEvents, enqueueEvents, logEnqueueFailed, withEvents } from "../events";
import type { WebhookEvent } from "../../call/events";

/**
 * Ending a call: by its client (the end route, a stream's `stop`), by its flow (a turn that hangs
 * up, markEnded), or by the idle timeout (the alarm). An ended call is archived to D1 and R2 and
 * its slot among its tenant's active calls given back, then its object empties.
 */

/** What an end returns: the answer, and the call_ended event when this end ended the call. */
export interface Ended {
  result: EndResult;
  event?: CallEvent;
}

/** Ends the call for `reason` (the end route and a stream's `stop`). `from`: the ending request's key. */
export async function endCall(call: CallRuntime, reason: EndReason, from: KeyUser): Promise<Ended> {
  const session = call.store.getSession();
  if (!session) throw new ApiError(404, "call_not_found", "No such call.");
  const endUse = keyUse(from, "call.end", new Date().toISOString());
  let event: CallEvent | undefined;
  if (session.status === "active") {
    const atOnce = await endAtOnce(call, session, reason, endUse.use);
    event = atOnce.event;
    // Only now: a stream told the call is over may read it at once, and must find it ended.
    call.closeStreams("ended_elsewhere");
    if (atOnce.archived) {
      const endedAt = atOnce.session.endedAt ?? new Date().toISOString();
      return {
        result: { callId: session.callId, status: "ended", endedAt, endReason: reason, archive: "done" },
        event,
      };
    }
  }
  // Ending an ended call again (its archive still pending) is a use too.
  else if (endUse.use) call.store.putSession(session, endUse);
  // Read before the outbox runs: a completed archive empties this object.
  const ended = call.store.getSession() ?? session;
  const archive = await drainOutbox(call);
  await reschedule(call);
  const result: EndResult = {
    callId: session.callId,
    status: "ended",
    endedAt: ended.endedAt ?? new Date().toISOString(),
    endReason: ended.endReason ?? reason,
    archive: archive.pending ? "pending" : "done",
  };
  return event ? { result, event } : { result };
}

/**
 * The alarm: ends an idle call, and runs the outbox jobs that are due. Returns the call_ended
 * event when the call ended now.
 */
export async function onAlarm(call: CallRuntime): Promise<CallEvent | undefined> {
  const session = call.store.getSession();
  if (!session) return undefined;
  let event: CallEvent | undefined;
  if (session.status === "active" && Date.now() >= idleDeadline(call, session)) {
    const atOnce = await endAtOnce(call, session, "idle_timeout");
    event = atOnce.event;
    call.closeStreams("idle_timeout"); // once the end is recorded (see endCall)
    if (atOnce.archived) return event;
  }
  await drainOutbox(call);
  await reschedule(call);
  return event;
}

/**
 * Ends an active call and archives it at once, before anything is written here: the ended call
 * goes to R2 and D1 and its slot back to the tenant, then the object empties, so the end costs
 * this object no row. If a step fails, one write records what markEnded would have plus each
 * job's progress, and the outbox retries the rest with backoff, as after markEnded. A crash
 * before that write leaves the call active here: the client saw no answer, and ending it again
 * (or the idle timeout) redoes the same steps. Returns the ended session, whether the call is
 * archived (and this object empty), and the call_ended event.
 */
async function endAtOnce(
  call: CallRuntime,
  session: SessionRecord,
  reason: EndReason,
  endUse?: AuditUse,
): Promise<{ session: SessionRecord; archived: boolean; event: CallEvent }> {
  const { session: ended, events } = recordEnd(call, endedRecord(session, reason));
  if (needsAnalysis(call)) {
    // A model reads the call first (seconds): the end is written now, and the analysis, then the
    // archive and the release, run from the alarm (analysis-job.ts).
    call.store.putSession(ended, {
      events,
      ...endFigures(reason, endUse),
      enqueue: [
        { job: JOB_ANALYSIS, nextAt: Date.now() + ANALYSIS_DELAY_MS },
        { job: JOB_ARCHIVE, nextAt: Date.now() + ANALYSIS_DELAY_MS },
        { job: JOB_RELEASE, nextAt: Date.now() },
      ],
    });
    call.flushEvents();
    return { session: ended, archived: false, event: endedEvent(session, reason) };
  }
  // Sent before anything else: once the archive is done the object empties, and nothing here
  // would be left to send them. If the queue refuses, they are written with the end below.
  let sent = true;
  if (events.length)
    sent = await enqueueEvents(call.env, events).then(
      () => true,
      (err: unknown) => {
        logEnqueueFailed(ended, err);
        return false;
      },
    );
  const pending = addPending(call.store.pending(), endFigures(reason, endUse));
  const now = Date.now();
  const archive: OutboxJob = { job: JOB_ARCHIVE, ...newJob(now) };
  const release: OutboxJob = { job: JOB_RELEASE, ...newJob(now) };
  let archived: { session: SessionRecord; d1RowsWritten: number } | null = null;
  try {
    archived = await runArchiveJob(call.env, call.store, archive, { session: ended, pending });
  } catch (err) {
    jobFailed(archive, err, ended);
  }
  let released = false;
  try {
    await runReleaseJob(call, ended);
    released = true;
  } catch (err) {
    jobFailed(release, err, ended);
  }
  const event = endedEvent(session, reason);
  if (archived) logArchived(call, session, archived.d1RowsWritten);
  if (archived && released && sent && call.store.pendingEvents().length === 0) {
    await call.wipe();
    return { session: ended, archived: true, event };
  }
  const left = [...(archived ? [] : [archive]), ...(released ? [] : [release])];
  // Archived: everything pending went with it.
  call.store.putEnded(archived?.session ?? ended, archived ? emptyPending() : pending, left, sent ? [] : events);
  call.flushEvents();
  return { session: ended, archived: false, event };
}

/**
 * The write that ends a call its flow hung up, inside the turn's transaction: the ended session,
 * its figures, and the archive and the release of the call's slot among its tenant's active calls
 * (TENANT_MAX_ACTIVE_CALLS) queued, in one write. Returns the call_ended event.
 */
export function markEnded(call: CallRuntime, session: SessionRecord, reason: EndReason): CallEvent {
  const ended = recordEnd(call, endedRecord(session, reason));
  const analyze = needsAnalysis(call);
  call.store.putSession(ended.session, {
    events: ended.events,
    ...endFigures(reason),
    enqueue: [
      // With an analysis, the archive waits for it (outbox.ts); without, both run now.
      ...(analyze ? [{ job: JOB_ANALYSIS, nextAt: Date.now() + ANALYSIS_DELAY_MS }] : []),
      { job: JOB_ARCHIVE, nextAt: Date.now() + (analyze ? ANALYSIS_DELAY_MS : 0) },
      { job: JOB_RELEASE, nextAt: Date.now() },
    ],
  });
  return endedEvent(session, reason);
}

function endedEvent(session: SessionRecord, reason: EndReason): CallEvent {
  return {
    event: "call_ended",
    fields: { tenantId: session.tenantId, callId: session.callId, reason, turns: session.turnCount },
  };
}

/** The ended session with its call.ended (and recording.ready) events recorded, for its next write. */
function recordEnd(call: CallRuntime, ended: SessionRecord): { session: SessionRecord; events: WebhookEvent[] } {
  if (!ended.webhooks) return { session: ended, events: [] };
  return withEvents(ended, endedEvents(ended, call.store.history(), call.store.hasAudio()));
}

/** The session as it is once the call has ended now, for `reason`. */
function endedRecord(session: SessionRecord, reason: EndReason): SessionRecord {
  const now = new Date().toISOString();
  return { ...session, status: "ended", endReason: reason, endedAt: now, lastActivityAt: now };
}

/** What ending a call adds to its pending figures: the ended-calls count and the ending request's key use. */
function endFigures(reason: EndReason, endUse?: AuditUse): { metrics: Record<string, number>; use?: AuditUse } {
  return { metrics: callEnded(reason), ...(endUse ? { use: endUse } : {}) };
}
