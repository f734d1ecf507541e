import { concatBytes } from "../lib/bytes";
import type { AudioKind, StoredAudio } from "./call-row";

/** Runs one SQL statement of a call's store and returns its rows. */
export type Exec = <T extends Record<string, SqlStorageValue>>(query: string, ...args: unknown[]) => T[];

/** SQLite rows in a Durable Object hold at most 2 MB; audio is split into parts below that. */
const AUDIO_PART_BYTES = 1024 * 1024;

/** Stores a piece of a call's audio, a part per row (audio_parts, see call-store.ts). */
export function writeAudio(exec: Exec, a: StoredAudio): void {
  for (let part = 0, off = 0; off < a.bytes.byteLength || part === 0; part++, off += AUDIO_PART_BYTES) {
    const chunk = a.bytes.subarray(off, off + AUDIO_PART_BYTES);
    exec(
      "INSERT OR REPLACE INTO audio_parts (turn_id, kind, part, media_type, " +
        "format, sample_rate, bytes) VALUES (?, ?, ?, ?, ?, ?, ?)",
      a.turnId,
      a.kind,
      part,
      a.mediaType,
      a.format,
      a.sampleRate,
      chunk,
    );
  }
}

/** The call's stored audio (or one turn's), its parts joined, ordered by turn id and kind. */
export function readAudio(exec: Exec, turnId?: string): StoredAudio[] {
  const rows = exec<{
    turn_id: string;
    kind: string;
    part: number;
    media_type: string;
    format: string;
    sample_rate: number;
    bytes: ArrayBuffer;
  }>(
    "SELECT * FROM (SELECT * FROM audio UNION ALL SELECT * FROM audio_parts) " +
      `${turnId ? "WHERE turn_id = ?" : ""} ORDER BY turn_id, kind, part`,
    ...(turnId ? [turnId] : []),
  );
  const out: StoredAudio[] = [];
  for (const r of rows) {
    const last = out[out.length - 1];
    const bytes = new Uint8Array(r.bytes);
    if (last && last.turnId === r.turn_id && last.kind === r.kind) {
      last.bytes = concatBytes([last.bytes, bytes]);
    } else {
      const { turn_id: id, media_type: mediaType, format, sample_rate: sampleRate } = r;
      out.push({ turnId: id, kind: r.kind as AudioKind, mediaType, format, sampleRate, bytes });
    }
  }
  return out;
}

/** Whether any audio part is stored (either layout). */
export function hasAudioRows(exec: Exec): boolean {
  return (
    exec<{ n: number }>("SELECT (EXISTS (SELECT 1 FROM audio_parts) OR EXISTS (SELECT 1 FROM audio)) AS n")[0]?.n === 1
  );
}
