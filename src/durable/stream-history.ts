import type { HistoryEntry } from "./call-types";

/** A history entry as a live stream may store it: a reply the caller cut short is flagged. */
export type StreamHistoryEntry = HistoryEntry & {
  /** The caller spoke over this reply: `text` is only what was played before (barge-in). */
  interrupted?: true;
};

interface Group {
  entries: StreamHistoryEntry[];
}

/**
 * Rewrites a stored reply that the caller interrupted after it was stored: the assistant entry of
 * `turnId` keeps only `spokenText` and is flagged `interrupted`. Returns whether it was found.
 *
 * This edits CallStore's rows in place (call-store.ts describes them): a turn's entries are a
 * group in the session row's `tail`, or, if that turn's write moved the tail, in the newest
 * `history` row ({ groups }). A barge-in comes seconds after the turn was stored, so the entry is
 * always in one of those two; one row is rewritten. (A CallStore method would be the natural home
 * for this; it lives here to keep the stream's changes in the stream's files.)
 */
export function reviseReply(sql: SqlStorage, turnId: string, spokenText: string): boolean {
  const revise = (groups: unknown): boolean => {
    if (!Array.isArray(groups)) return false;
    for (const group of groups as Group[]) {
      const entry = group?.entries?.find((e) => e.turnId === turnId && e.role === "assistant");
      if (entry) {
        entry.text = spokenText;
        entry.interrupted = true;
        return true;
      }
    }
    return false;
  };
  const hot = sql.exec<{ json: string }>("SELECT json FROM session WHERE id = 1").toArray()[0];
  if (hot) {
    const row = JSON.parse(hot.json) as { tail?: unknown };
    if (revise(row.tail)) {
      sql.exec("UPDATE session SET json = ? WHERE id = 1", JSON.stringify(row));
      return true;
    }
  }
  const newest = sql.exec<{ seq: number; json: string }>("SELECT seq, json FROM history ORDER BY seq DESC LIMIT 1").toArray()[0];
  if (newest) {
    const row = JSON.parse(newest.json) as { groups?: unknown };
    if (revise(row.groups)) {
      sql.exec("UPDATE history SET json = ? WHERE seq = ?", JSON.stringify(row), newest.seq);
      return true;
    }
  }
  return false;
}
