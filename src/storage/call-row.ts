import type { WebhookEvent } from "../call/events";
import type { HistoryEntry, SessionRecord } from "../call/records";

/**
 * The shapes of a call's hot tier (src/storage/call-store.ts): its session row, the audio and
 * references it keeps, the uses and figures pending for the next sync, its outbox jobs, and the
 * pure operations on them.
 */

/**
 * Turns kept in the session row before they move to a history row (one extra row written per this
 * many turns). A turn's entries are about half a kilobyte plus its texts, so the row every turn
 * rewrites stays near 10 KB, while a typical call of a dozen turns writes no history row at all.
 */
export const TAIL_TURNS = 16;
/**
 * Audit uses the session row holds before its queued sync is made due at once. A conversation
 * takes a turn every few seconds and never gets near it within the sync's minute; a client firing
 * turns back to back would otherwise grow the row, which every turn reads and rewrites, without bound.
 */
export const SYNC_NOW_PENDING_USES = 24;

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

/**
 * Reply audio that is already in the R2 speech cache (src/storage/speech-cache.ts): the call keeps
 * the cache object's name instead of a second copy of the bytes, and reads it back for the
 * recording and the archive. Only entries with most of their TTL left are referenced (see
 * call-session.ts), so an entry outlives the call that points at it.
 */
export interface AudioRef {
  turnId: string;
  kind: "reply";
  mediaType: string;
  format: string;
  sampleRate: number;
  cacheKey: string;
}

/** One use of a tenant key on this call, appended to D1's audit log by the next sync. */
export interface AuditUse {
  action: string;
  actor: string;
  at: string;
  result: "ok" | "denied" | "not_found" | "error";
  requestId?: string;
}

/** What the next sync (archiver.ts flushPending) sends to D1 and the metrics shards. */
export interface Pending {
  metrics: Record<string, number>;
  uses: AuditUse[];
}

export interface TurnGroup {
  entries: HistoryEntry[];
  refs?: AudioRef[];
}

/** The session row. Rows written before the tail existed hold a bare SessionRecord. */
export interface HotRow {
  session: SessionRecord;
  tail: TurnGroup[];
  pending: Pending;
  /**
   * The outbox: jobs live in this row, so queueing one rides the write that makes it necessary (a
   * turn queues the sync, the end queues the archive and the release) and costs no row of its own;
   * in a table each cost an insert (row and key index) and a delete. The `outbox` table is still
   * read for objects written before, and drained the same way.
   */
  jobs?: Record<string, Omit<OutboxJob, "job">>;
  /**
   * Events recorded for the tenant's backend and not yet known to be on the EVENTS queue: each is
   * added in the write that records what it tells (a turn, the end), so a crash cannot lose one,
   * and leaves with the row's next write once sent (CallStore.eventsSent).
   */
  events?: WebhookEvent[];
}

export interface OutboxJob {
  job: string;
  attempts: number;
  nextAt: number;
  state: Record<string, unknown>;
  lastError: string | null;
}

export const emptyPending = (): Pending => ({ metrics: {}, uses: [] });

export function turnNumber(turnId: string): number {
  const n = Number(/(\d+)$/.exec(turnId)?.[1]);
  return Number.isFinite(n) ? n : Number.MAX_SAFE_INTEGER;
}

export function parseRow(text: string): HotRow {
  const parsed = JSON.parse(text) as HotRow | SessionRecord;
  return "session" in parsed ? parsed : { session: parsed, tail: [], pending: emptyPending() };
}

/** The row with `sent` taken out of its pending figures (a series at 0 is dropped). */
export function withoutSent(row: HotRow, sent: Record<string, number>): HotRow {
  const metrics = { ...row.pending.metrics };
  for (const [series, v] of Object.entries(sent)) {
    const left = (metrics[series] ?? 0) - v;
    if (left === 0) delete metrics[series];
    else metrics[series] = left;
  }
  return { ...row, pending: { ...row.pending, metrics } };
}

export function newJob(nextAt: number): Omit<OutboxJob, "job"> {
  return { attempts: 0, nextAt, state: {}, lastError: null };
}

/** The row's jobs with these queued: a job already queued keeps the earlier of the two times. */
export function withQueued(jobs: HotRow["jobs"], queued: readonly { job: string; nextAt: number }[]): HotRow["jobs"] {
  let out = jobs;
  for (const q of queued) {
    const held = out?.[q.job];
    out = { ...out, [q.job]: held ? { ...held, nextAt: Math.min(held.nextAt, q.nextAt) } : newJob(q.nextAt) };
  }
  return out;
}

/** The row's pending events with these added (none: the row's own list, unchanged). */
export function withEvents(row: HotRow, events: readonly WebhookEvent[] | undefined): HotRow["events"] {
  return events?.length ? [...(row.events ?? []), ...events] : row.events;
}

export function addPending(p: Pending, add?: { metrics?: Record<string, number>; use?: AuditUse }): Pending {
  if (!add?.metrics && !add?.use) return p;
  return { metrics: sumMetrics(p.metrics, add.metrics ?? {}), uses: add.use ? [...p.uses, add.use] : p.uses };
}

/** A new record of `a`'s series with `b`'s added. */
export function sumMetrics(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const sum = { ...a };
  for (const [series, v] of Object.entries(b)) sum[series] = (sum[series] ?? 0) + v;
  return sum;
}

/** Cuts a stored reply to what was played (barge-in) in these groups; false when its entry is not there. */
export function reviseReplyIn(groups: TurnGroup[], turnId: string, spokenText: string): boolean {
  const entry = groups.flatMap((g) => g.entries).find((e) => e.turnId === turnId && e.role === "assistant");
  if (!entry) return false;
  entry.text = spokenText;
  entry.interrupted = true;
  return true;
}
