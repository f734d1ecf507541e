import { ARCHIVE_CONTENT_TYPE, decodeArchive, encodeArchive } from "./archive-container";
import type { CallArchive } from "./archive-types";
import { archiveKeyring, decryptObject, encryptObject, type ArchiveKeysEnv } from "./encryption";
import { callPrefix, coldKeys } from "./layout";
import { inSpan, SpanKind } from "../observability/tracing";

/**
 * The cold tier: R2 objects under the call's tenant-prefixed folder, every body encrypted with
 * the deployment's archive key (src/storage/encryption.ts); only the content type stays readable.
 * Writes are idempotent (same key, same plaintext; a fresh IV each time) so the archive outbox can
 * retry them freely. Without usable ARCHIVE_KEYS a write throws (503 archive_key_unavailable)
 * instead of going out in plaintext, and a read of an object that exists throws too; a missing
 * object is still just null, so a call that never was reads as 404 either way.
 */
export async function putObject(
  env: ArchiveKeysEnv,
  bucket: R2Bucket,
  key: string,
  bytes: Uint8Array | string,
  contentType: string,
): Promise<void> {
  const { body, metadata } = await encryptObject(archiveKeyring(env), key, bytes);
  await inSpan(
    "r2.put",
    { "voice.storage": "r2", "voice.r2.key": key, "voice.bytes": body.byteLength, "voice.content_type": contentType },
    () => bucket.put(key, body, { httpMetadata: { contentType }, customMetadata: metadata }),
    SpanKind.CLIENT,
  );
}

/** The call's archive (version 4): the transcript and its stored audio, one object, one write. */
export async function putArchive(
  env: ArchiveKeysEnv,
  bucket: R2Bucket,
  archive: CallArchive,
  audio: readonly Uint8Array[],
): Promise<void> {
  const { tenantId, callId } = archive.session;
  await putObject(
    env,
    bucket,
    coldKeys.transcript(tenantId, callId),
    encodeArchive(archive, audio),
    ARCHIVE_CONTENT_TYPE,
  );
}

/** The archive and the audio stored in its object (empty before version 4); null when there is none. */
export async function readArchive(
  env: ArchiveKeysEnv,
  bucket: R2Bucket,
  tenantId: string,
  callId: string,
): Promise<{ archive: CallArchive; audio: Uint8Array } | null> {
  const obj = await getObject(env, bucket, coldKeys.transcript(tenantId, callId));
  return obj ? decodeArchive(obj.bytes) : null;
}

export async function readTranscript(
  env: ArchiveKeysEnv,
  bucket: R2Bucket,
  tenantId: string,
  callId: string,
): Promise<CallArchive | null> {
  return (await readArchive(env, bucket, tenantId, callId))?.archive ?? null;
}

/** Whether the call's transcript is there (a HEAD: nothing is decrypted). */
export async function transcriptExists(bucket: R2Bucket, tenantId: string, callId: string): Promise<boolean> {
  return (await bucket.head(coldKeys.transcript(tenantId, callId))) !== null;
}

/** One object, decrypted; null when it does not exist. Fails closed (ApiError) when it cannot be decrypted. */
export async function getObject(
  env: ArchiveKeysEnv,
  bucket: R2Bucket,
  key: string,
): Promise<{ bytes: Uint8Array<ArrayBuffer>; contentType: string } | null> {
  const obj = await bucket.get(key);
  if (!obj) return null;
  const body = await obj.arrayBuffer();
  return {
    bytes: await decryptObject(archiveKeyring(env), key, body),
    contentType: obj.httpMetadata?.contentType ?? "application/octet-stream",
  };
}

/** Deletes every object of one call (erasure). Lists in pages: a long call may hold many objects. */
export async function deleteCallObjects(bucket: R2Bucket, tenantId: string, callId: string): Promise<number> {
  const prefix = callPrefix(tenantId, callId);
  let cursor: string | undefined;
  let deleted = 0;
  do {
    const page = await bucket.list({ prefix, ...(cursor ? { cursor } : {}) });
    const keys = page.objects.map((o) => o.key);
    if (keys.length) await bucket.delete(keys);
    deleted += keys.length;
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return deleted;
}
