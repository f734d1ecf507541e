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

const EXT: Record<string, string> = { wav: "wav", pcm: "pcm", mulaw: "ulaw", ogg: "ogg", webm: "webm", mp3: "mp3", flac: "flac" };

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
      console.error(
        JSON.stringify({ event: "archive_encryption_unavailable", tenantId: session.tenantId, callId: session.callId, problem: keys.problem, action: "call kept in its Durable Object; archive retried with backoff" }),
      );
      throw archiveKeysUnavailable(keys.problem); // recorded as the job's last error, retried with backoff
    }
    const bucket = archiveBucket(env, session.residency);
    const audio = store.audio();
    const listed: CallArchive["audio"] = [];
    for (const a of audio) {
      const key = coldKeys.turnAudio(session.tenantId, session.callId, a.turnId, a.kind, EXT[a.format] ?? "bin");
      await putObject(env, bucket, key, a.bytes, a.mediaType);
      listed.push({ turnId: a.turnId, kind: a.kind, key, mediaType: a.mediaType, format: a.format, sampleRate: a.sampleRate, bytes: a.bytes.byteLength });
    }
    let recordingKey: string | null = null;
    if (audio.length) {
      recordingKey = coldKeys.recording(session.tenantId, session.callId);
      await putObject(env, bucket, recordingKey, buildRecording(audio).wav, "audio/wav");
    }
    const archivedAt = new Date().toISOString();
    session = { ...session, archivedAt };
    // transcript.json goes last: its presence means the whole cold copy is there.
    await putTranscript(env, bucket, { version: 1, archivedAt, session, history, audio: listed, recordingKey });
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
