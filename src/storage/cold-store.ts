import type { CallArchive } from "./archive-types";
import { callPrefix, coldKeys } from "./layout";

/**
 * The cold tier: R2 objects under the call's tenant-prefixed folder. Writes are idempotent
 * (same key, same content) so the archive outbox can retry them freely.
 */
export async function putObject(bucket: R2Bucket, key: string, bytes: Uint8Array | string, contentType: string): Promise<void> {
  await bucket.put(key, bytes, { httpMetadata: { contentType } });
}

export async function putTranscript(bucket: R2Bucket, archive: CallArchive): Promise<void> {
  const { tenantId, callId } = archive.session;
  await putObject(bucket, coldKeys.transcript(tenantId, callId), JSON.stringify(archive), "application/json");
}

export async function readTranscript(bucket: R2Bucket, tenantId: string, callId: string): Promise<CallArchive | null> {
  const obj = await bucket.get(coldKeys.transcript(tenantId, callId));
  return obj ? await obj.json<CallArchive>() : null;
}

export async function transcriptExists(bucket: R2Bucket, tenantId: string, callId: string): Promise<boolean> {
  return (await bucket.head(coldKeys.transcript(tenantId, callId))) !== null;
}

export async function getObject(bucket: R2Bucket, key: string): Promise<{ bytes: Uint8Array; contentType: string } | null> {
  const obj = await bucket.get(key);
  if (!obj) return null;
  return { bytes: new Uint8Array(await obj.arrayBuffer()), contentType: obj.httpMetadata?.contentType ?? "application/octet-stream" };
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
