import { DurableObject } from "cloudflare:workers";

/**
 * One shard of the global counters (calls started and ended, turns): a table of series → integer.
 * A counter's global value is the sum over every shard; each update goes to one shard picked at
 * random (metrics-global.ts), so no single object takes every call's writes.
 *
 * add() is exact under concurrency: it runs synchronously (no await between reading and writing
 * the rows) inside one storage transaction, and a Durable Object runs one such piece of code at a
 * time, so concurrent updates serialize and none is lost. The table holds counters only (series
 * names with bounded labels), never tenant or call ids.
 */

/** A series as written on an exposition line: `name` or `name{label="value",...}`. */
const SERIES = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^\n]*\})?$/;
const MAX_SERIES_CHARS = 512;

export class MetricsShard extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec("CREATE TABLE IF NOT EXISTS counters (series TEXT PRIMARY KEY, value INTEGER NOT NULL)");
  }

  /** Adds each delta (a safe integer; others are ignored) to its series. Returns the series changed. */
  async add(deltas: Record<string, number>): Promise<number> {
    const valid = Object.entries(deltas).filter(
      ([series, delta]) => series.length <= MAX_SERIES_CHARS && SERIES.test(series) && Number.isSafeInteger(delta) && delta !== 0,
    );
    this.ctx.storage.transactionSync(() => {
      for (const [series, delta] of valid) {
        this.sql.exec("INSERT INTO counters (series, value) VALUES (?, ?) ON CONFLICT (series) DO UPDATE SET value = value + excluded.value", series, delta);
      }
    });
    return valid.length;
  }

  /** Every series this shard holds, with its share of the total. */
  async read(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const row of this.sql.exec<{ series: string; value: number }>("SELECT series, value FROM counters")) out[row.series] = row.value;
    return out;
  }
}
