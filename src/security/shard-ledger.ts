/**
 * What a tenant's limits object (TenantLimits) knows of the tenant's shards (TenantShard): which
 * exist (every one that ever leased tokens or slots, so a key change reaches them all) and how
 * many of the tenant's TENANT_MAX_ACTIVE_CALLS slots each holds. The sum of the allotments never
 * exceeds the limit, so the tenant's active calls never do, however its shards are spread.
 * In the object's SQLite, WITHOUT ROWID (each table is its key's b-tree: one row write a change).
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS tenant_shards (name TEXT PRIMARY KEY, slots INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
`;

export class ShardLedger {
  /** The table in memory: a tenant has at most a few hundred shards, read on every allotment. */
  private readonly shards = new Map<string, number>();

  constructor(private readonly sql: SqlStorage) {
    sql.exec(SCHEMA);
    for (const row of sql.exec<{ name: string; slots: number }>("SELECT name, slots FROM tenant_shards")) {
      this.shards.set(row.name, row.slots);
    }
  }

  /** Every shard known, for a key change's fan-out. */
  names(): string[] {
    return [...this.shards.keys()];
  }

  /** Records a shard before it is first answered, so a later key change is sure to reach it. */
  register(name: string): void {
    if (this.shards.has(name)) return;
    this.sql.exec("INSERT OR IGNORE INTO tenant_shards (name) VALUES (?)", name);
    this.shards.set(name, 0);
  }

  /** Slots allotted over all shards. */
  allotted(): number {
    let sum = 0;
    for (const slots of this.shards.values()) sum += slots;
    return sum;
  }

  slotsOf(name: string): number {
    return this.shards.get(name) ?? 0;
  }

  /** Shards holding slots, other than `except`, for a reclaim. */
  holders(except: string): string[] {
    return [...this.shards].filter(([name, slots]) => name !== except && slots > 0).map(([name]) => name);
  }

  /** Sets a shard's allotment (never below 0). */
  set(name: string, slots: number): void {
    this.register(name);
    const held = Math.max(0, Math.floor(slots));
    if (held === this.slotsOf(name)) return;
    this.sql.exec("UPDATE tenant_shards SET slots = ? WHERE name = ?", held, name);
    this.shards.set(name, held);
  }
}
