import { hasAudioRows, readAudio, writeAudio, type Exec } from "./call-audio-rows";
import { CALL_SCHEMA } from "./call-schema";
import { IdempotencyRows } from "./call-idempotency";
import {
  addPending,
  emptyPending,
  newJob,
  parseRow,
  reviseReplyIn,
  SYNC_NOW_PENDING_USES,
  TAIL_TURNS,
  sumMetrics,
  turnNumber,
  withEvents,
  withoutSent,
  withQueued,
  type AudioRef,
  type AuditUse,
  type HotRow,
  type OutboxJob,
  type Pending,
  type StoredAudio,
  type TurnGroup,
} from "./call-row";
import type { PinnedAgent } from "../call/agent";
import type { WebhookEvent } from "../call/events";
import type { HistoryEntry, SessionRecord } from "../call/records";

/**
 * The call's hot tier, read and written for the pipeline: the session row (with the latest turns,
 * the pending figures and the outbox), history rows, audio, idempotency records. The layout, and
 * why a turn writes one row, is in call-schema.ts.
 */

/** The jobs a sync completes when it clears what it sent. */
const SYNC_JOB = "index";

export class CallStore {
  /** Rows this store has written since the object started (SQLite's own count, what is billed). */
  rowsWritten = 0;
  private readonly sql: SqlStorage;
  /**
   * The session row's JSON as this store last read or wrote it (undefined: not known yet). A turn
   * reads the row several times (is the call active, what is pending, then its own write); SQLite
   * reads under load cost more than parsing this text again, and only this store writes the row,
   * so its own copy stays true. Each read parses a fresh object, so callers may change what they
   * get. A transaction that throws is rolled back, and the copy is dropped with it (transaction()),
   * as is what the store knew of the outbox table; figures sent ahead stay out of the row read again.
   */
  private rowText: string | null | undefined;
  /** Whether the outbox table is known to be empty (it only fills for objects without a session row). */
  private outboxTableEmpty = false;
  /**
   * Figures sent to a shard since the row was last written (sentAhead): taken out of the pending ones read from
   * storage.
   */
  private ahead: Record<string, number> | null = null;
  /** Events sent to the queue since the row was last written: left out of the row read, and of its next write. */
  private sent: ReadonlySet<string> | null = null;
  /** Idempotency records of turns, and the call's key for request fingerprints. */
  readonly idempotency: IdempotencyRows;
  /** The pinned agent as last read or written (undefined: not read yet); it never changes once written. */
  private pinned: PinnedAgent | null | undefined;

  constructor(private readonly storage: DurableObjectStorage) {
    this.sql = storage.sql;
    this.sql.exec(CALL_SCHEMA);
    this.idempotency = new IdempotencyRows(this.run);
  }

  /** Runs `fn` as one SQLite transaction; if it throws, its writes are undone and so is the cached row. */
  transaction<T>(fn: () => T): T {
    const { ahead, sent } = this;
    try {
      return this.storage.transactionSync(fn);
    } catch (err) {
      this.rowText = undefined;
      this.outboxTableEmpty = false;
      this.pinned = undefined;
      this.ahead = ahead;
      this.sent = sent;
      throw err;
    }
  }

  /** exec() for helpers that write through this store (its count of rows written included). */
  private readonly run: Exec = (query, ...args) => this.exec(query, ...args);

  private exec<T extends Record<string, SqlStorageValue>>(query: string, ...args: unknown[]): T[] {
    const cursor = this.sql.exec<T>(query, ...args);
    const rows = cursor.toArray();
    this.rowsWritten += cursor.rowsWritten;
    return rows;
  }

  private readRow(): HotRow | null {
    if (this.rowText === undefined) {
      const stored = this.exec<{ json: string }>("SELECT json FROM session WHERE id = 1")[0]?.json ?? null;
      this.rowText =
        stored !== null && (this.ahead || this.sent) ? JSON.stringify(this.unsent(parseRow(stored))) : stored;
    }
    return this.rowText === null ? null : parseRow(this.rowText);
  }

  private writeRow(row: HotRow): void {
    const text = JSON.stringify(row);
    this.exec("INSERT OR REPLACE INTO session (id, json) VALUES (1, ?)", text);
    this.rowText = text;
    this.ahead = null;
    this.sent = null;
  }

  /** A row read from storage without what was sent ahead of its next write (figures, events). */
  private unsent(row: HotRow): HotRow {
    const left = this.ahead ? withoutSent(row, this.ahead) : row;
    const sent = this.sent;
    return sent && left.events ? { ...left, events: left.events.filter((e) => !sent.has(e.id)) } : left;
  }

  /** Events recorded and not yet known to be on the queue, oldest first. */
  pendingEvents(): WebhookEvent[] {
    return this.readRow()?.events ?? [];
  }

  /**
   * These events are on the queue: they leave the row now, and storage with its next write (the
   * next turn, or the end), costing no row of their own. If the object restarts first, they are
   * sent again, with the same ids (delivery is at least once; receivers drop duplicates).
   */
  eventsSent(ids: readonly string[]): void {
    const row = this.readRow();
    if (!row?.events?.length) return;
    this.sent = new Set([...(this.sent ?? []), ...ids]);
    this.rowText = JSON.stringify(this.unsent(row));
  }

  /**
   * Figures a shard has been sent ahead of the sync (a call's start, so that "calls now" counts it
   * at once): they leave the pending figures now, and leave storage with the row's next write (the
   * first turn, or the end), which costs no row of its own. If the object restarts before that
   * write, the next sync sends them again: the one way a count can be doubled, as with a sync
   * that stops between the shard update and the object's own write.
   */
  sentAhead(metrics: Record<string, number>): void {
    const row = this.readRow();
    if (!row) return;
    this.rowText = JSON.stringify(withoutSent(row, metrics));
    this.ahead = sumMetrics(this.ahead ?? {}, metrics);
  }

  getSession(): SessionRecord | null {
    return this.readRow()?.session ?? null;
  }

  /** Writes the session record, keeping the tail and the pending figures; may queue jobs in the same write. */
  putSession(
    session: SessionRecord,
    add?: {
      metrics?: Record<string, number>;
      use?: AuditUse;
      enqueue?: { job: string; nextAt: number }[];
      events?: WebhookEvent[];
    },
  ): void {
    const row = this.readRow() ?? { session, tail: [], pending: emptyPending() };
    const jobs = withQueued(row.jobs, add?.enqueue ?? []);
    const events = withEvents(row, add?.events);
    this.writeRow({
      ...row,
      session,
      pending: addPending(row.pending, add),
      ...(jobs ? { jobs } : {}),
      ...(events ? { events } : {}),
    });
  }

  /**
   * A turn (or the greeting): the session as it is after it, its history entries, references to
   * its cached reply audio, and the figures it adds for the next sync. One row written; every
   * TAIL_TURNS turns one more, for the history row the tail moves to.
   */
  appendTurn(
    session: SessionRecord,
    entries: [HistoryEntry, ...HistoryEntry[]],
    add?: {
      refs?: AudioRef[];
      metrics?: Record<string, number>;
      use?: AuditUse;
      enqueueIfAbsent?: { job: string; nextAt: number };
      events?: WebhookEvent[];
    },
  ): void {
    const row = this.readRow() ?? { session, tail: [], pending: emptyPending() };
    let tail = [...row.tail, { entries, ...(add?.refs?.length ? { refs: add.refs } : {}) }];
    if (tail.length >= TAIL_TURNS) {
      const first = tail[0]?.entries[0] ?? entries[0];
      this.exec(
        "INSERT INTO history (turn_id, role, json) VALUES (?, ?, ?)",
        first.turnId,
        first.role,
        JSON.stringify({ groups: tail }),
      );
      tail = [];
    }
    const pending = addPending(row.pending, add);
    const queued = add?.enqueueIfAbsent;
    let jobs = queued && !row.jobs?.[queued.job] ? { ...row.jobs, [queued.job]: newJob(queued.nextAt) } : row.jobs;
    const held = queued && jobs?.[queued.job];
    if (queued && held && pending.uses.length >= SYNC_NOW_PENDING_USES && held.nextAt > Date.now()) {
      jobs = { ...jobs, [queued.job]: { ...held, nextAt: Date.now() } };
    }
    const events = withEvents(row, add?.events);
    this.writeRow({ session, tail, pending, ...(jobs ? { jobs } : {}), ...(events ? { events } : {}) });
  }

  private groups(): TurnGroup[] {
    const stored = this.exec<{ json: string }>("SELECT json FROM history ORDER BY seq").flatMap((r): TurnGroup[] => {
      // A row holds a moved tail ({groups}), one turn's entries (an array), or one entry (oldest rows).
      const v = JSON.parse(r.json) as { groups: TurnGroup[] } | HistoryEntry[] | HistoryEntry;
      if (Array.isArray(v)) return [{ entries: v }];
      if ("groups" in v) return v.groups;
      return [{ entries: [v] }];
    });
    return [...stored, ...(this.readRow()?.tail ?? [])];
  }

  history(): HistoryEntry[] {
    return this.groups().flatMap((g) => g.entries);
  }

  /**
   * A reply the caller talked over after it was stored (live stream barge-in): its assistant entry
   * keeps only `spokenText` and is flagged `interrupted`. A barge-in comes seconds after the turn,
   * so the entry is in the tail or, if that turn's write moved the tail, in the newest history row:
   * one row is rewritten. Returns whether the entry was found.
   */
  reviseReply(turnId: string, spokenText: string): boolean {
    const revise = (groups: TurnGroup[]) => reviseReplyIn(groups, turnId, spokenText);
    const row = this.readRow();
    if (row && revise(row.tail)) {
      this.writeRow(row);
      return true;
    }
    const newest = this.exec<{ seq: number; json: string }>(
      "SELECT seq, json FROM history ORDER BY seq DESC LIMIT 1",
    )[0];
    const moved = newest ? (JSON.parse(newest.json) as { groups?: TurnGroup[] }) : undefined;
    if (newest && moved?.groups && revise(moved.groups)) {
      this.exec("UPDATE history SET json = ? WHERE seq = ?", JSON.stringify(moved), newest.seq);
      return true;
    }
    return false;
  }

  /** What the next sync must send. */
  pending(): Pending {
    return this.readRow()?.pending ?? emptyPending();
  }

  /**
   * Removes what a sync has sent, and only that: figures added meanwhile stay. The row's sync job
   * is complete with it (it is what sent them), in the same write.
   */
  clearPending(sent: Pending): void {
    const row = this.readRow();
    if (!row) return;
    const jobs = { ...row.jobs };
    delete jobs[SYNC_JOB];
    const left = withoutSent(row, sent.metrics);
    this.writeRow({ ...left, pending: { ...left.pending, uses: row.pending.uses.slice(sent.uses.length) }, jobs });
  }

  /**
   * The row of a call whose end could not finish at once (CallSession.endAtOnce): the ended
   * session, what is still to be sent, and the jobs left (archive, release) with their progress.
   * They replace any queued sync: the archive sends what a sync would, and a sync run between an
   * archive attempt that reached the shard and its retry would send the shard the same figures twice.
   */
  putEnded(session: SessionRecord, pending: Pending, jobs: readonly OutboxJob[], events: WebhookEvent[] = []): void {
    const row = this.readRow() ?? { session, tail: [], pending: emptyPending() };
    const left: NonNullable<HotRow["jobs"]> = {};
    for (const { job, ...rest } of jobs) left[job] = rest;
    const queued = withEvents(row, events);
    this.writeRow({ ...row, session, pending, jobs: left, ...(queued ? { events: queued } : {}) });
  }

  /** Pins the agent version the call runs (at creation, in the session's transaction). */
  putAgent(agent: PinnedAgent): void {
    this.exec("INSERT OR REPLACE INTO agent (id, json) VALUES (1, ?)", JSON.stringify(agent));
    this.pinned = agent;
  }

  /**
   * The agent version the call started with, or null for a flow call. Read once per store: every
   * turn asks, and the row never changes. Callers share the object: they must not change it.
   */
  agent(): PinnedAgent | null {
    if (this.pinned === undefined) {
      const json = this.exec<{ json: string }>("SELECT json FROM agent WHERE id = 1")[0]?.json;
      this.pinned = json === undefined ? null : (JSON.parse(json) as PinnedAgent);
    }
    return this.pinned;
  }

  /** Whether the call holds any audio (a recording exists): a row of it here, or a reference to the speech cache. */
  hasAudio(): boolean {
    return hasAudioRows(this.run) || this.groups().some((g) => g.refs?.length);
  }

  putAudio(a: StoredAudio): void {
    writeAudio(this.run, a);
  }

  /**
   * All audio of the call (or one turn) in conversation order, caller before reply: pieces stored
   * here with their bytes, and references to the speech cache that the caller resolves.
   */
  audio(turnId?: string): (StoredAudio | AudioRef)[] {
    const out: (StoredAudio | AudioRef)[] = readAudio(this.run, turnId);
    for (const g of this.groups()) for (const ref of g.refs ?? []) if (!turnId || ref.turnId === turnId) out.push(ref);
    return out.sort(
      (a, b) => turnNumber(a.turnId) - turnNumber(b.turnId) || (a.kind === b.kind ? 0 : a.kind === "caller" ? -1 : 1),
    );
  }

  /** Enqueues a job unless one is already pending (which keeps its time): no row written then. */
  enqueueIfAbsent(job: string, nextAt: number): void {
    const row = this.readRow();
    if (row) {
      if (!row.jobs?.[job]) this.writeRow({ ...row, jobs: { ...row.jobs, [job]: newJob(nextAt) } });
      return;
    }
    this.exec("INSERT INTO outbox (job, next_at) VALUES (?, ?) ON CONFLICT (job) DO NOTHING", job, nextAt);
    this.outboxTableEmpty = false;
  }

  enqueue(job: string, nextAt: number): void {
    const row = this.readRow();
    if (row) {
      this.writeRow({ ...row, jobs: withQueued(row.jobs, [{ job, nextAt }]) });
      return;
    }
    this.exec(
      "INSERT INTO outbox (job, next_at) VALUES (?, ?) ON CONFLICT (job) " +
        "DO UPDATE SET next_at = MIN(next_at, excluded.next_at)",
      job,
      nextAt,
    );
    this.outboxTableEmpty = false;
  }

  outbox(): OutboxJob[] {
    // Every turn asks (to set the alarm); the table is read until it is found empty, then not again
    // until this store queues a job there.
    const rows = this.outboxTableEmpty
      ? []
      : this.exec<{ job: string; attempts: number; next_at: number; state: string; last_error: string | null }>(
          "SELECT * FROM outbox",
        );
    this.outboxTableEmpty = rows.length === 0;
    const table = rows.map((r) => ({
      job: r.job,
      attempts: r.attempts,
      nextAt: r.next_at,
      state: JSON.parse(r.state) as Record<string, unknown>,
      lastError: r.last_error,
    }));
    const inRow = Object.entries(this.readRow()?.jobs ?? {}).map(([job, j]) => ({ job, ...j }));
    return [...inRow, ...table].sort((a, b) => a.nextAt - b.nextAt);
  }

  updateJob(job: OutboxJob): void {
    const row = this.readRow();
    const { job: name, ...rest } = job;
    if (row?.jobs?.[name]) {
      this.writeRow({ ...row, jobs: { ...row.jobs, [name]: rest } });
      return;
    }
    this.exec(
      "UPDATE outbox SET attempts = ?, next_at = ?, state = ?, last_error = ? WHERE job = ?",
      job.attempts,
      job.nextAt,
      JSON.stringify(job.state),
      job.lastError,
      job.job,
    );
  }

  /** Done with these jobs: one write for those in the row (none when clearPending already completed the sync). */
  completeJobs(names: readonly string[], session?: SessionRecord): void {
    const row = this.readRow();
    const inRow = names.filter((n) => row?.jobs?.[n]);
    if (row && (inRow.length || session)) {
      const jobs = { ...row.jobs };
      for (const n of inRow) delete jobs[n];
      this.writeRow({ ...row, ...(session ? { session } : {}), jobs });
    }
    for (const n of names) if (!inRow.includes(n)) this.exec("DELETE FROM outbox WHERE job = ?", n);
  }
}
