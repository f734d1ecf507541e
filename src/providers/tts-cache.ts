import type { ReplyAudio } from "../durable/call-types";
import { sha256Hex } from "../security/crypto";
import { archiveBucket, type Residency } from "../storage/residency";

/**
 * Synthesized speech cached in R2, so the prompts a flow repeats on every call (greetings, menus,
 * "please hold") are synthesized once per TTL. R2 rather than the Cache API: it works the same in
 * Durable Objects, on workers.dev and locally, and is strongly consistent. Keys are hashes that
 * include the tenant, so one tenant cannot probe another's cached texts by timing.
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
}

async function keyFor(k: TtsCacheKey): Promise<string> {
  return TTS_CACHE_PREFIX + (await sha256Hex(JSON.stringify([k.tenantId, k.provider, k.voice, k.language, k.format, k.sampleRate, k.text])));
}

/**
 * The cache settings for one tenant, or undefined when TTS_CACHE_TTL_SECONDS is 0. Cached speech
 * is the tenant's text: an EU-resident tenant or call caches in the EU bucket.
 */
export function ttsCacheFor(
  env: Env,
  ttlSeconds: number,
  owner: { tenantId: string; residency: Residency | null },
): (TtsCache & { tenantId: string }) | undefined {
  return ttlSeconds > 0 ? { bucket: archiveBucket(env, owner.residency), ttlSeconds, tenantId: owner.tenantId } : undefined;
}

export async function readCachedSpeech(cache: TtsCache, k: TtsCacheKey, now = Date.now()): Promise<ReplyAudio | null> {
  const obj = await cache.bucket.get(await keyFor(k));
  if (!obj) return null;
  if (now - obj.uploaded.getTime() > cache.ttlSeconds * 1000) return null; // expired; the cron removes it
  return {
    format: k.format as ReplyAudio["format"],
    sampleRate: k.sampleRate,
    mediaType: obj.httpMetadata?.contentType ?? "application/octet-stream",
    bytes: new Uint8Array(await obj.arrayBuffer()),
  };
}

export async function writeCachedSpeech(cache: TtsCache, k: TtsCacheKey, audio: ReplyAudio): Promise<void> {
  await cache.bucket.put(await keyFor(k), audio.bytes, { httpMetadata: { contentType: audio.mediaType }, customMetadata: { provider: k.provider } });
}
