/**
 * The call's hot tier: tables in the Durable Object's own SQLite. SQL calls are synchronous and
 * the runtime's output gate holds every reply until the writes they made are durable, so a reply
 * never claims something that could still be lost.
 *
 * Durable Object storage bills every row written, so the layout is shaped by what a turn writes:
 * ONE row. The `session` row holds the session record plus the call's most recent turns (the
 * "tail": their history entries and references to their cached reply audio) and the figures not
 * yet sent to D1 and the metrics shards (`pending`: audit uses, metric deltas). A turn rewrites
 * that row; every TAIL_TURNS turns the tail moves into one `history` row in the same transaction.
 * The history of a call is the history rows, then the tail. `seq` is a plain rowid: rows are never
 * deleted one by one (the object is emptied whole), so it only grows, and unlike AUTOINCREMENT it
 * writes no sqlite_sequence row with each insert. (Objects made before keep their AUTOINCREMENT
 * table, which reads the same.)
 *
 * Audio the speech cache does not hold (the caller's, uncached replies) is stored a part per row
 * in `audio_parts`, WITHOUT ROWID: its primary key is the table, so a part costs one row written.
 * The older `audio` table kept a rowid and a separate key index, two rows a part; it is still read.
 *
 * `agent` holds the agent version an agent call started with (CallStore.putAgent): written once,
 * with the session, and never again, so a definition of many kilobytes is not rewritten each turn.
 */
export const CALL_SCHEMA = `
CREATE TABLE IF NOT EXISTS session (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS history (
  seq INTEGER PRIMARY KEY, turn_id TEXT NOT NULL, role TEXT NOT NULL, json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS idempotency (key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, json TEXT NOT NULL, \
at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS fingerprint_key (id INTEGER PRIMARY KEY CHECK (id = 1), key BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS audio (
  turn_id TEXT NOT NULL, kind TEXT NOT NULL, part INTEGER NOT NULL,
  media_type TEXT NOT NULL, format TEXT NOT NULL, sample_rate INTEGER NOT NULL, bytes BLOB NOT NULL,
  PRIMARY KEY (turn_id, kind, part)
);
CREATE TABLE IF NOT EXISTS audio_parts (
  turn_id TEXT NOT NULL, kind TEXT NOT NULL, part INTEGER NOT NULL,
  media_type TEXT NOT NULL, format TEXT NOT NULL, sample_rate INTEGER NOT NULL, bytes BLOB NOT NULL,
  PRIMARY KEY (turn_id, kind, part)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS agent (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
  job TEXT PRIMARY KEY, attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT '{}', last_error TEXT
);
`;
