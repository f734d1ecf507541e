import { DurableObject } from "cloudflare:workers";
import { ShardCounters } from "../observability/shard-counters";

/**
 * One shard of the global counters (src/observability/metrics-global.ts picks one at random for
 * each update and sums them all for GET /metrics). The counters themselves: shard-counters.ts.
 */
export class MetricsShard extends DurableObject<Env> {
  private readonly counters: ShardCounters;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.counters = new ShardCounters(ctx.storage);
  }

  /** Adds each delta (a finite number; others are ignored) to its series. Returns the series changed. */
  async add(deltas: Record<string, number>): Promise<number> {
    return this.counters.add(deltas);
  }

  /** Every series this shard holds, with its share of the total. */
  async read(): Promise<Record<string, number>> {
    return this.counters.read();
  }
}
