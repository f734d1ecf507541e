import type { ReplyAudio } from "../call/audio-format";
import { toHex } from "../security/crypto";
import { archiveKeyringState, decryptObject, encryptObject, type ArchiveKeyring } from "./encryption";
import { archiveBucket } from "./residency";
import type { Residency } from "../call/residency";
import { log } from "../observability/log";

/**
 * Synthesized speech cached in R2, so the prompts a flow repeats on every call (greetings, menus,
 * "please hold") are synthesized once per TTL. R2 rather than the Cache API: it works the same in
 * Durable Objects, on workers.dev and locally, and is strongly consistent. Keys are hashes that
 * include the tenant, so one tenant cannot probe another's cached texts by timing.
 *
 * The audio is the tenant's text spoken, so it is stored like the archive: encrypted with the
 * archive key (src/storage/encryption.ts), and named by an HMAC keyed from it, so someone reading
 * R2 can neither listen to it nor confirm a guessed text by hashing it. Without usable
 * ARCHIVE_KEYS there is no cache (synthesis still works, every lookup a miss); an entry that does
 * not decrypt (an older key, damage) is a miss and is overwritten by the fresh synthesis.
 */
export const TTS_CACHE_PREFIX = "cache/tts/";

export interface TtsCacheKey {
  tenantId: string;
  provider: string;
  voice: string;
  language: string;
  format: string;
  sampleRate: number;
  text: string;
}

export interface TtsCache {
  bucket: R2Bucket;
  ttlSeconds: number;
  keys: ArchiveKeyring;
}

/** The R2 object key of one cache entry: a keyed hash (HMAC) of everything that makes the audio. */
export async function cacheObjectKey(keys: ArchiveKeyring, k: TtsCacheKey): Promise<string> {
  const name = JSON.stringify([k.tenantId, k.provider, k.voice, k.language, k.format, k.sampleRate, k.text]);
  return (
    TTS_CACHE_PREFIX +
    toHex(await crypto.subtle.sign("HMAC", await keys.cacheNameKey(), new TextEncoder().encode(name)))
  );
}

/** Envs already told that the cache is off for want of ARCHIVE_KEYS (one warning each, not one per reply). */
const warned = new WeakSet<object>();

/**
 * The cache settings for one tenant, or undefined when TTS_CACHE_TTL_SECONDS is 0 or there is no
 * usable ARCHIVE_KEYS (speech is never cached in plaintext). Cached speech is the tenant's text:
 * an EU-resident tenant or call caches in the EU bucket.
 */
export function ttsCacheFor(
  env: Env,
  ttlSeconds: number,
  owner: { tenantId: string; residency: Residency | null },
): (TtsCache & { tenantId: string }) | undefined {
  if (ttlSeconds <= 0) return undefined;
  const keys = archiveKeyringState(env);
  if (!keys.ok) {
    if (!warned.has(env)) {
      warned.add(env);
      log("tts_cache_disabled", { problem: keys.problem }, "warn");
    }
    return undefined;
  }
  return { bucket: archiveBucket(env, owner.residency), ttlSeconds, keys: keys.keyring, tenantId: owner.tenantId };
}

/** Where a cached rendering lives and since when (a call may point at it instead of copying it). */
export interface CacheEntry {
  objectKey: string;
  storedAt: number;
}

export async function readCachedSpeech(
  cache: TtsCache,
  k: TtsCacheKey,
  now = Date.now(),
): Promise<(ReplyAudio & { cacheEntry: CacheEntry }) | null> {
  const key = await cacheObjectKey(cache.keys, k);
  const obj = await cache.bucket.get(key);
  if (!obj) return null;
  if (now - obj.uploaded.getTime() > cache.ttlSeconds * 1000) return null; // expired; the cron removes it
  return {
    format: k.format as ReplyAudio["format"],
    sampleRate: k.sampleRate,
    mediaType: obj.httpMetadata?.contentType ?? "application/octet-stream",
    // Throws (fails closed) when the entry does not decrypt; synthesize() then treats it as a miss.
    bytes: await decryptObject(cache.keys, key, await obj.arrayBuffer()),
    cacheEntry: { objectKey: key, storedAt: obj.uploaded.getTime() },
  };
}

/** One cache entry's audio by its object name (a call's reference to it); null when it is gone. */
export async function readCacheEntry(
  cache: Pick<TtsCache, "bucket" | "keys">,
  objectKey: string,
): Promise<Uint8Array | null> {
  if (!objectKey.startsWith(TTS_CACHE_PREFIX)) return null;
  const obj = await cache.bucket.get(objectKey);
  return obj ? decryptObject(cache.keys, objectKey, await obj.arrayBuffer()) : null;
}

export async function writeCachedSpeech(
  cache: TtsCache,
  k: TtsCacheKey,
  audio: ReplyAudio,
  now = Date.now(),
): Promise<CacheEntry> {
  const key = await cacheObjectKey(cache.keys, k);
  const { body, metadata } = await encryptObject(cache.keys, key, audio.bytes);
  await cache.bucket.put(key, body, {
    httpMetadata: { contentType: audio.mediaType },
    customMetadata: { ...metadata, provider: k.provider },
  });
  return { objectKey: key, storedAt: now };
}
