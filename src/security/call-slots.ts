import { setBounded } from "../lib/bounded-map";
import { log } from "../observability/log";
import type { CallRule, CallVerdict } from "./tenant-limits";

/**
 * The active calls, as few billed row writes as possible: WITHOUT ROWID, the table is its primary
 * key's b-tree (a rowid table with a TEXT key writes the row and a separate key index), and no
 * index on seen_at (a tenant holds at most TENANT_MAX_ACTIVE_CALLS rows, so purging stale ones
 * scans). Each index would cost one more row write per insert, delete and seen refresh.
 * `active_calls` was the first version (rowid, with a seen_at index): migrated once, then dropped.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS active_calls_v2 (call_id TEXT PRIMARY KEY, acquired_at INTEGER NOT NULL, \
seen_at INTEGER NOT NULL) WITHOUT ROWID;
`;

/** How stale a slot's seen mark may get before a request naming the call refreshes it. */
const SEEN_REFRESH_MS = 10 * 60_000;

/**
 * The calls whose seen mark this object checked lately: a bound on memory, not on calls (a tenant
 * holds at most TENANT_MAX_ACTIVE_CALLS slots; forgetting one only costs one more check).
 */
const MAX_SEEN_CHECKS = 10_000;

/**
 * A tenant's active calls (TENANT_MAX_ACTIVE_CALLS), a slot per call, in its limits object's
 * SQLite. A slot not seen for the rule's stale bound is dropped when counting (self-healing).
 */
export class CallSlots {
  /** When this object last made sure a call's seen mark was fresh (see markSeen). */
  private readonly seenChecked = new Map<string, number>();

  constructor(private readonly storage: DurableObjectStorage) {
    storage.sql.exec(SCHEMA);
    this.migrate();
  }

  private get sql(): SqlStorage {
    return this.storage.sql;
  }

  /**
   * Takes a slot for a call that is about to be created. Idempotent per call id: a call that holds
   * a slot keeps it (`fresh: false`), so a retried create never counts twice.
   */
  acquire(callId: string, rule: CallRule, now: number): CallVerdict {
    this.purgeStale(now, rule.staleAfterMs);
    const held = this.sql.exec("SELECT 1 FROM active_calls_v2 WHERE call_id = ?", callId).toArray().length > 0;
    if (held) {
      this.sql.exec("UPDATE active_calls_v2 SET seen_at = ? WHERE call_id = ?", now, callId);
      return { ok: true, fresh: false, active: this.count() };
    }
    const active = this.count();
    if (active >= rule.max) return { ok: false, active };
    this.sql.exec("INSERT INTO active_calls_v2 (call_id, acquired_at, seen_at) VALUES (?, ?, ?)", callId, now, now);
    return { ok: true, fresh: true, active: active + 1 };
  }

  /** Gives a call's slot back (the call ended, was erased, or was never created). Idempotent. */
  release(callId: string): boolean {
    this.seenChecked.delete(callId);
    const cursor = this.sql.exec("DELETE FROM active_calls_v2 WHERE call_id = ?", callId);
    cursor.toArray();
    return cursor.rowsWritten > 0;
  }

  /** The call ids holding slots, oldest first (operators and tests). */
  list(): string[] {
    return this.sql
      .exec<{ call_id: string }>("SELECT call_id FROM active_calls_v2 ORDER BY acquired_at, call_id")
      .toArray()
      .map((r) => r.call_id);
  }

  /**
   * A slot's "seen" mark only has to beat the stale bound (an hour and more): it is rewritten at
   * most every SEEN_REFRESH_MS, so a turn costs no row write here, and checked against storage at
   * most every SEEN_REFRESH_MS / 2, so a turn does not run even the (writeless) UPDATE: a
   * statement on the path of every request naming a call (0.4 ms of a turn's CPU in
   * `npm run bench:profile -- turn`, which inflates every figure).
   * After a check at t the mark is at least t - SEEN_REFRESH_MS, so while requests keep naming the
   * call it is never more than 1.5 × SEEN_REFRESH_MS old. (The memory is lost with the object;
   * the next request then checks again.)
   */
  markSeen(callId: string, now: number): void {
    const checked = this.seenChecked.get(callId);
    if (checked !== undefined && now - checked < SEEN_REFRESH_MS / 2 && now >= checked) return;
    this.sql.exec(
      "UPDATE active_calls_v2 SET seen_at = ?1 WHERE call_id = ?2 AND seen_at < ?3",
      now,
      callId,
      now - SEEN_REFRESH_MS,
    );
    setBounded(this.seenChecked, callId, now, MAX_SEEN_CHECKS);
  }

  count(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM active_calls_v2").one().n;
  }

  /** Moves the rows of the first schema's table into active_calls_v2, once, and drops it (and its index). */
  private migrate(): void {
    const old =
      this.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'active_calls'").toArray().length > 0;
    if (!old) return;
    this.storage.transactionSync(() => {
      this.sql.exec(
        "INSERT OR IGNORE INTO active_calls_v2 (call_id, acquired_at, " +
          "seen_at) SELECT call_id, acquired_at, seen_at FROM active_calls",
      );
      this.sql.exec("DROP TABLE active_calls");
    });
  }

  private purgeStale(now: number, staleAfterMs: number): void {
    const stale = this.sql
      .exec<{ call_id: string }>("DELETE FROM active_calls_v2 WHERE seen_at < ? RETURNING call_id", now - staleAfterMs)
      .toArray()
      .map((r) => r.call_id);
    // A release that never arrived: worth a look, though the tenant is no longer held back by it.
    if (stale.length) log("call_slots_purged", { calls: stale }, "warn");
  }
}
