import { concatBytes } from "../audio/concat";
import type { HistoryEntry, SessionRecord } from "./call-types";

/**
 * The call's hot tier: tables in the Durable Object's own SQLite. SQL calls are synchronous and
 * the runtime's output gate holds every reply until the writes they made are durable, so a reply
 * never claims something that could still be lost.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS session (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS history (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, turn_id TEXT NOT NULL, role TEXT NOT NULL, json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS idempotency (key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, json TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS fingerprint_key (id INTEGER PRIMARY KEY CHECK (id = 1), key BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS audio (
  turn_id TEXT NOT NULL, kind TEXT NOT NULL, part INTEGER NOT NULL,
  media_type TEXT NOT NULL, format TEXT NOT NULL, sample_rate INTEGER NOT NULL, bytes BLOB NOT NULL,
  PRIMARY KEY (turn_id, kind, part)
);
CREATE TABLE IF NOT EXISTS outbox (
  job TEXT PRIMARY KEY, attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT '{}', last_error TEXT
);
`;

/** SQLite rows in a Durable Object hold at most 2 MB; audio is split into parts below that. */
const AUDIO_PART_BYTES = 1024 * 1024;

export type AudioKind = "caller" | "reply";
export interface StoredAudio {
  turnId: string;
  kind: AudioKind;
  mediaType: string;
  /** "wav" for PCM we normalised, the container name for pass-through audio, or a reply format. */
  format: string;
  sampleRate: number;
  bytes: Uint8Array;
}

export interface OutboxJob {
  job: string;
  attempts: number;
  nextAt: number;
  state: Record<string, unknown>;
  lastError: string | null;
}

export class CallStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(SCHEMA);
  }

  getSession(): SessionRecord | null {
    const row = this.sql.exec<{ json: string }>("SELECT json FROM session WHERE id = 1").toArray()[0];
    return row ? (JSON.parse(row.json) as SessionRecord) : null;
  }

  putSession(session: SessionRecord): void {
    this.sql.exec("INSERT OR REPLACE INTO session (id, json) VALUES (1, ?)", JSON.stringify(session));
  }

  /**
   * Appends the entries of one turn (the caller's and the reply) as one row: rows written are what
   * Durable Object storage bills, and a turn's entries are always read together.
   */
  appendHistory(...entries: [HistoryEntry, ...HistoryEntry[]]): void {
    const first = entries[0];
    this.sql.exec("INSERT INTO history (turn_id, role, json) VALUES (?, ?, ?)", first.turnId, first.role, JSON.stringify(entries.length === 1 ? first : entries));
  }

  history(): HistoryEntry[] {
    // A row holds one entry (as written before turns were stored whole) or a turn's entries.
    return this.sql
      .exec<{ json: string }>("SELECT json FROM history ORDER BY seq")
      .toArray()
      .flatMap((r) => JSON.parse(r.json) as HistoryEntry | HistoryEntry[]);
  }

  getIdempotent(key: string): { fingerprint: string; json: string } | null {
    return this.sql.exec<{ fingerprint: string; json: string }>("SELECT fingerprint, json FROM idempotency WHERE key = ?", key).toArray()[0] ?? null;
  }

  /**
   * This call's random key for request fingerprints, made on first use. Fingerprints are keyed
   * hashes so the idempotency table never holds a plain hash of a request body (a card number
   * typed into a turn could be recovered from one by trying every Luhn-valid number).
   */
  fingerprintKey(): Uint8Array {
    const row = this.sql.exec<{ key: ArrayBuffer }>("SELECT key FROM fingerprint_key WHERE id = 1").toArray()[0];
    if (row) return new Uint8Array(row.key);
    const key = crypto.getRandomValues(new Uint8Array(32));
    this.sql.exec("INSERT INTO fingerprint_key (id, key) VALUES (1, ?)", key);
    return key;
  }

  putIdempotent(key: string, fingerprint: string, json: string): void {
    this.sql.exec("INSERT INTO idempotency (key, fingerprint, json, at) VALUES (?, ?, ?, ?)", key, fingerprint, json, new Date().toISOString());
  }

  putAudio(a: StoredAudio): void {
    for (let part = 0, off = 0; off < a.bytes.byteLength || part === 0; part++, off += AUDIO_PART_BYTES) {
      const chunk = a.bytes.subarray(off, off + AUDIO_PART_BYTES);
      this.sql.exec(
        "INSERT OR REPLACE INTO audio (turn_id, kind, part, media_type, format, sample_rate, bytes) VALUES (?, ?, ?, ?, ?, ?, ?)",
        a.turnId, a.kind, part, a.mediaType, a.format, a.sampleRate, chunk,
      );
    }
  }

  /** All stored audio in turn order (caller before reply within a turn). */
  audio(turnId?: string): StoredAudio[] {
    const rows = this.sql
      .exec<{ turn_id: string; kind: string; part: number; media_type: string; format: string; sample_rate: number; bytes: ArrayBuffer }>(
        `SELECT a.* FROM audio a ${turnId ? "WHERE a.turn_id = ?" : ""}
         ORDER BY (SELECT MIN(seq) FROM history h WHERE h.turn_id = a.turn_id), a.kind = 'reply', a.part`,
        ...(turnId ? [turnId] : []),
      )
      .toArray();
    const out: StoredAudio[] = [];
    for (const r of rows) {
      const last = out[out.length - 1];
      const bytes = new Uint8Array(r.bytes);
      if (last && last.turnId === r.turn_id && last.kind === r.kind) {
        last.bytes = concatBytes([last.bytes, bytes]);
      } else {
        out.push({ turnId: r.turn_id, kind: r.kind as AudioKind, mediaType: r.media_type, format: r.format, sampleRate: r.sample_rate, bytes });
      }
    }
    return out;
  }

  /** Enqueues a job unless one is already pending (which keeps its time): no row written then. */
  enqueueIfAbsent(job: string, nextAt: number): void {
    this.sql.exec("INSERT INTO outbox (job, next_at) VALUES (?, ?) ON CONFLICT (job) DO NOTHING", job, nextAt);
  }

  enqueue(job: string, nextAt: number): void {
    this.sql.exec(
      "INSERT INTO outbox (job, next_at) VALUES (?, ?) ON CONFLICT (job) DO UPDATE SET next_at = MIN(next_at, excluded.next_at)",
      job, nextAt,
    );
  }

  outbox(): OutboxJob[] {
    return this.sql
      .exec<{ job: string; attempts: number; next_at: number; state: string; last_error: string | null }>("SELECT * FROM outbox ORDER BY next_at")
      .toArray()
      .map((r) => ({ job: r.job, attempts: r.attempts, nextAt: r.next_at, state: JSON.parse(r.state) as Record<string, unknown>, lastError: r.last_error }));
  }

  updateJob(job: OutboxJob): void {
    this.sql.exec(
      "UPDATE outbox SET attempts = ?, next_at = ?, state = ?, last_error = ? WHERE job = ?",
      job.attempts, job.nextAt, JSON.stringify(job.state), job.lastError, job.job,
    );
  }

  completeJob(job: string): void {
    this.sql.exec("DELETE FROM outbox WHERE job = ?", job);
  }
}
