/**
 * One shard of the global counters (calls started and ended, turns, latency histograms): a map of
 * series → number. A counter's global value is the sum over every shard (metrics-global.ts);
 * src/durable/metrics-shard.ts is the Durable Object that holds one.
 *
 * The whole map is ONE SQLite row, rewritten on every add: Durable Object storage bills rows
 * written, and an add carries ten to twenty series (a call's turns: counts, histogram buckets,
 * sums), which as one row per series cost ten to twenty times more. The map stays small (series
 * have bounded labels, never tenant or call ids), so rewriting it is cheap.
 *
 * add() is exact under concurrency: it runs synchronously (no await between reading and writing
 * the row), and a Durable Object runs one such piece of code at a time, so concurrent updates
 * serialize and none is lost.
 */

/** A series as written on an exposition line: `name` or `name{label="value",...}`. */
const SERIES = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^\n]*\})?$/;
const MAX_SERIES_CHARS = 512;
interface ShardState {
  counters: Record<string, number>;
}

export class ShardCounters {
  private readonly sql: SqlStorage;

  constructor(storage: DurableObjectStorage) {
    this.sql = storage.sql;
    this.sql.exec("CREATE TABLE IF NOT EXISTS shard (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL)");
    // Shards written before the one-row layout kept a row per series: fold them in once.
    const legacy = this.sql
      .exec<{ n: number }>("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'counters'")
      .one().n;
    if (legacy) {
      const state = this.state();
      for (const r of this.sql.exec<{ series: string; value: number }>("SELECT series, value FROM counters"))
        state.counters[r.series] = (state.counters[r.series] ?? 0) + r.value;
      storage.transactionSync(() => {
        this.save(state);
        this.sql.exec("DROP TABLE counters");
      });
    }
  }

  private state(): ShardState {
    const row = this.sql.exec<{ json: string }>("SELECT json FROM shard WHERE id = 1").toArray()[0];
    return row ? (JSON.parse(row.json) as ShardState) : { counters: {} };
  }

  private save(state: ShardState): void {
    this.sql.exec("INSERT OR REPLACE INTO shard (id, json) VALUES (1, ?)", JSON.stringify(state));
  }

  /** Adds each delta (a finite number; others are ignored) to its series. Returns the series changed. */
  add(deltas: Record<string, number>): number {
    const valid = Object.entries(deltas).filter(
      ([series, delta]) =>
        series.length <= MAX_SERIES_CHARS && SERIES.test(series) && Number.isFinite(delta) && delta !== 0,
    );
    if (!valid.length) return 0;
    const state = this.state();
    for (const [series, delta] of valid) state.counters[series] = (state.counters[series] ?? 0) + delta;
    this.save(state);
    return valid.length;
  }

  /** Every series this shard holds, with its share of the total. */
  read(): Record<string, number> {
    return this.state().counters;
  }
}
