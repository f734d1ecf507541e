import { getConfig } from "../config/config";
import { log } from "../observability/log";
import { synthesize } from "./stages/synthesize";
import { readCacheEntry, ttsCacheFor } from "../storage/speech-cache";
import { ttsEnginesFor } from "../routing/resident-order";
import { archiveKeyring } from "../storage/encryption";
import { archiveBucket } from "../storage/residency";
import type { Residency } from "../call/residency";
import type { ReplyRef } from "../storage/archive-types";
import type { AudioRef, StoredAudio } from "../storage/call-row";
import type { ReplyOptions } from "./types";
import type { HistoryEntry, SessionRecord } from "../call/records";
import { errorMessage } from "../lib/errors";

/**
 * Reply audio is kept by reference, not by copy: while the call is live its object points at the
 * speech cache entry (call-store.ts AudioRef), and its archive lists the reply's text with that
 * reference (storage/archive-types.ts). The bytes are read back from the cache when a recording
 * is asked for, and, once the entry has expired, synthesized again from the text by the current
 * TTS chain: the same words, in the voice the deployment now has. Caller audio is always a copy.
 */
type Owner = Pick<SessionRecord, "tenantId" | "callId"> & { residency?: Residency | null | undefined };

/** The audio of one referenced reply: from the speech cache, else synthesized again; null when neither works. */
export async function replyAudioFromRef(
  env: Env,
  owner: Owner,
  ref: ReplyRef,
  piece: { format: string; sampleRate: number },
): Promise<Uint8Array | null> {
  const residency = owner.residency ?? null;
  const cached = await readCacheEntry(
    { bucket: archiveBucket(env, residency), keys: archiveKeyring(env) },
    ref.cacheKey,
  ).catch(() => null);
  if (cached) return cached;
  if (!ref.text) return null;
  try {
    const config = getConfig(env);
    const engines = ttsEnginesFor(env, config, { residency });
    const reply = { mode: "audio", format: piece.format, sampleRate: piece.sampleRate } as ReplyOptions;
    const synth = await synthesize(ref.text, ref.language, reply, engines, {
      cache: ttsCacheFor(env, config.TTS_CACHE_TTL_SECONDS, { tenantId: owner.tenantId, residency }),
    });
    log("reply_audio_resynthesized", { tenantId: owner.tenantId, callId: owner.callId, provider: synth.provider });
    return synth.audio.bytes;
  } catch (err) {
    log("reply_audio_missing", { tenantId: owner.tenantId, callId: owner.callId, error: errorMessage(err) }, "warn");
    return null;
  }
}

/** The text of each turn's reply, by turn id (what a referenced reply said). */
export function replyTexts(history: readonly HistoryEntry[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const h of history) if (h.role === "assistant") out.set(h.turnId, h.text);
  return out;
}

/**
 * A live call's audio with every speech-cache reference read back (or synthesized again), in
 * conversation order. A reply whose audio cannot be had is left out and logged, never a failure:
 * its text is still in the history.
 */
export async function resolveCallAudio(
  env: Env,
  session: Owner & { language: string },
  pieces: (StoredAudio | AudioRef)[],
  history: readonly HistoryEntry[],
): Promise<StoredAudio[]> {
  const texts = replyTexts(history);
  const out = await Promise.all(
    pieces.map(async (p): Promise<StoredAudio | null> => {
      if (!("cacheKey" in p)) return p;
      const bytes = await replyAudioFromRef(
        env,
        session,
        { cacheKey: p.cacheKey, text: texts.get(p.turnId) ?? "", language: session.language },
        p,
      );
      return bytes
        ? { turnId: p.turnId, kind: p.kind, mediaType: p.mediaType, format: p.format, sampleRate: p.sampleRate, bytes }
        : null;
    }),
  );
  return out.filter((p): p is StoredAudio => p !== null);
}
