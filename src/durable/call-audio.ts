import { log } from "../observability/log";
import { readCacheEntry } from "../providers/tts-cache";
import { archiveKeyring } from "../storage/encryption";
import { archiveBucket } from "../storage/residency";
import type { AudioRef, StoredAudio } from "./call-store";
import type { SessionRecord } from "./call-types";

/**
 * A call's audio with every speech-cache reference (call-store.ts AudioRef) read back from R2, in
 * conversation order. A referenced entry that is gone (removed by hand; the TTL outlives the call
 * by design) is left out and logged, never a failure: the reply's text is still in the history.
 */
export async function resolveCallAudio(env: Env, session: Pick<SessionRecord, "tenantId" | "callId" | "residency">, pieces: (StoredAudio | AudioRef)[]): Promise<StoredAudio[]> {
  const refs = pieces.filter((p): p is AudioRef => "cacheKey" in p);
  if (!refs.length) return pieces as StoredAudio[];
  const cache = { bucket: archiveBucket(env, session.residency ?? null), keys: archiveKeyring(env) };
  const bytes = await Promise.all(refs.map((r) => readCacheEntry(cache, r.cacheKey)));
  const out: StoredAudio[] = [];
  for (const p of pieces) {
    if (!("cacheKey" in p)) {
      out.push(p);
      continue;
    }
    const b = bytes[refs.indexOf(p)];
    if (b) out.push({ turnId: p.turnId, kind: p.kind, mediaType: p.mediaType, format: p.format, sampleRate: p.sampleRate, bytes: b });
    else log("reply_audio_missing", { tenantId: session.tenantId, callId: session.callId, turnId: p.turnId }, "warn");
  }
  return out;
}
