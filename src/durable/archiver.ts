import { inSpan } from "../observability/tracing";
import { buildRecording } from "../audio/recording";
import type { CallArchive } from "../storage/archive-types";
import { putObject, putTranscript } from "../storage/cold-store";
import { archiveKeyringState, archiveKeysUnavailable } from "../storage/encryption";
import { coldKeys } from "../storage/layout";
import { archiveBucket } from "../storage/residency";
import { indexCall, writeCallArchive } from "../storage/warm-store";
import type { SessionRecord } from "./call-types";
import type { CallStore, OutboxJob } from "./call-store";
import { concatBytes } from "../audio/concat";
import { log } from "../observability/log";

/**
 * Outbox jobs: the call's Durable Object records what must reach D1 and R2, and these functions
 * do it. Each step is idempotent and records its progress in the job, so a retry after a partial
 * failure redoes only what is missing and nothing is ever dropped.
 *
 * Everything reaches R2 encrypted (src/storage/encryption.ts). Without usable ARCHIVE_KEYS the R2
 * step fails before writing anything: the call stays in its Durable Object and the job is retried
 * with backoff, so setting the secret is enough to let the backlog drain.
 */

export const JOB_INDEX = "index";
export const JOB_ARCHIVE = "archive";


export async function runIndexJob(env: Env, store: CallStore): Promise<void> {
  const session = store.getSession();
  if (session) await indexCall(env.DB, session);
}

/** Returns the session as archived (archivedAt set) once both tiers hold the call. */
export function runArchiveJob(env: Env, store: CallStore, job: OutboxJob): Promise<SessionRecord | null> {
  return inSpan("archive", { "voice.job": JOB_ARCHIVE, "voice.job.attempts": job.attempts }, () => archiveCall(env, store, job));
}

async function archiveCall(env: Env, store: CallStore, job: OutboxJob): Promise<SessionRecord | null> {
  let session = store.getSession();
  if (!session) return null;
  const history = store.history();

  if (!job.state.r2) {
    const keys = archiveKeyringState(env);
    if (!keys.ok) {
      log("archive_encryption_unavailable", { tenantId: session.tenantId, callId: session.callId, problem: keys.problem, action: "call kept in its Durable Object; archive retried with backoff" }, "error");
      throw archiveKeysUnavailable(keys.problem); // recorded as the job's last error, retried with backoff
    }
    const bucket = archiveBucket(env, session.residency);
    const audio = store.audio();
    // Every piece in one bundle object, listed with its offset: one R2 write (and one encryption)
    // a call instead of one a piece; R2 bills per write.
    const listed: CallArchive["audio"] = [];
    if (audio.length) {
      const key = coldKeys.audioBundle(session.tenantId, session.callId);
      let offset = 0;
      for (const a of audio) {
        listed.push({ turnId: a.turnId, kind: a.kind, key, offset, mediaType: a.mediaType, format: a.format, sampleRate: a.sampleRate, bytes: a.bytes.byteLength });
        offset += a.bytes.byteLength;
      }
      await putObject(env, bucket, key, concatBytes(audio.map((a) => a.bytes)), "application/octet-stream");
    }
    let recordingKey: string | null = null;
    if (audio.length) {
      recordingKey = coldKeys.recording(session.tenantId, session.callId);
      await putObject(env, bucket, recordingKey, buildRecording(audio).wav, "audio/wav");
    }
    const archivedAt = new Date().toISOString();
    session = { ...session, archivedAt };
    // transcript.json goes last: its presence means the whole cold copy is there.
    await putTranscript(env, bucket, { version: 2, archivedAt, session, history, audio: listed, recordingKey });
    store.putSession(session);
    job.state.r2 = true;
    store.updateJob(job);
  }

  if (!job.state.d1) {
    await writeCallArchive(env.DB, session, history);
    job.state.d1 = true;
    store.updateJob(job);
  }
  return session;
}
