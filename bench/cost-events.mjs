// bench:cost's events section: what events to your backend (docs/events.md) add to a call, for a
// tenant with one endpoint subscribed to every type, at list prices:
//   Queues   $0.40 per million operations; a message is 3 (write, read, delete) per 64 KB, a retry
//            one more read: https://developers.cloudflare.com/queues/platform/pricing/ (in
//            ../shared/reference/providers.md)
//   Workers  the consumer's invocations (one a batch of up to max_batch_size) and its CPU
//   D1       rows written, counted by D1 itself (meta.rows_written)
// The figures from measurements are named where they come from.

/**
 * D1 rows written for one event to one endpoint delivered at its first attempt, measured through the
 * consumer with D1's own meta.rows_written: 6 (the event row and its 2 index entries, the delivery row
 * and its 1, the attempt's rewrite of that row); a retry 1 more. Before migration 0010 was slimmed
 * (rowid tables, the delivery's status indexed): 11.
 */
export const D1_ROWS_PER_DELIVERED_EVENT = 6;
/** Consumer CPU an event, bench:events --source queue on the 2-core machine (docs/benchmarks.md, 5.5 ms). */
export const CONSUMER_CPU_MS_PER_EVENT = 5.5;
/** wrangler.toml's max_batch_size: at most this many events an invocation (fewer when traffic is sparse). */
export const BATCH = 10;

const QUEUE_OP_USD = 0.4 / 1e6;

/** A call's events: call.started, a turn.completed a turn, call.ended, and recording.ready when it holds audio. */
export function callEvents({ turns, speech }) {
  return 1 + turns + 1 + (speech ? 1 : 0);
}

export function eventOperations(p, prices) {
  const events = callEvents(p);
  return [
    {
      item: "Queues operations",
      usd: 3 * events * QUEUE_OP_USD,
      count: 3 * events,
      from: "3 a message: write, read, delete",
    },
    {
      item: "Workers requests (consumer)",
      usd: (events / BATCH) * prices.workersRequest,
      count: events / BATCH,
      from: `one invocation a batch of ${BATCH} (sparse traffic: up to one an event)`,
    },
    {
      item: "Workers CPU ms (consumer)",
      usd: events * CONSUMER_CPU_MS_PER_EVENT * prices.workersCpuMs,
      count: events * CONSUMER_CPU_MS_PER_EVENT,
      from: `${CONSUMER_CPU_MS_PER_EVENT} ms an event, bench:events --source queue`,
    },
    {
      item: "D1 rows written",
      usd: events * D1_ROWS_PER_DELIVERED_EVENT * prices.d1RowWritten,
      count: events * D1_ROWS_PER_DELIVERED_EVENT,
      from: `${D1_ROWS_PER_DELIVERED_EVENT} an event delivered at once (D1's rows_written, measured); a retry 1 more`,
    },
  ];
}

/** Prints the section; returns its total per 1M calls. */
export function eventsCost(p, prices, platformPerMillion, log = console.log) {
  const ops = eventOperations(p, prices);
  log(`\n== Events to your backend (bench/cost-events.mjs): one endpoint, every event type ==`);
  log(
    `events a call: ${callEvents(p)} (call.started, ${p.turns} turn.completed, call.ended` +
      `${p.speech ? ", recording.ready" : ""}); the call's own object sends them in its existing writes (no rows)`,
  );
  for (const o of ops) {
    const usd = (o.usd * 1e6).toFixed(2).padStart(7);
    log(`  ${o.item.padEnd(30)}${o.count.toFixed(1).padStart(8)} a call  $${usd} per 1M calls   ${o.from}`);
  }
  const total = ops.reduce((a, o) => a + o.usd, 0) * 1e6;
  log(
    `  ${"total".padEnd(30)}${"".padStart(15)}$${total.toFixed(2).padStart(7)} per 1M calls = ` +
      `${((total / platformPerMillion) * 100).toFixed(0)}% on top of the call's $${platformPerMillion.toFixed(2)}; ` +
      "a tenant without endpoints pays none of it",
  );
  return total;
}
