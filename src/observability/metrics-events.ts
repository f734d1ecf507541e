/**
 * The global series of events delivered to tenants' endpoints (src/events/), kept in the metrics
 * shards like the others (metrics-global.ts). No endpoint, tenant or event type is a label: the
 * first two are unbounded, and /metrics is an operator's view; GET /webhooks/{id}/deliveries is
 * the tenant's.
 */
import { seriesKey } from "./metrics";

export const EVENT_ATTEMPTS = "voice_event_delivery_attempts_total";
export const EVENT_DELIVERIES = "voice_event_deliveries_total";
export const EVENT_LAG = "voice_event_delivery_lag_ms";

/** Lag buckets, ms: from a first attempt that worked at once to one that took the whole 24-hour window. */
export const EVENT_LAG_BUCKETS_MS: readonly number[] = [
  100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 300_000, 3_600_000, 21_600_000, 86_400_000,
];

/** What became of one attempt (src/events/attempt.ts AttemptResult). */
export const attemptDelta = (result: string): Record<string, number> => ({
  [seriesKey(EVENT_ATTEMPTS, { result })]: 1,
});

/**
 * How a delivery ended: delivered (its first success), failed (given up: the retry window passed,
 * the URL is refused, or its queue message was dead-lettered), skipped (its endpoint was disabled).
 */
export type DeliveryOutcome = "delivered" | "failed" | "skipped";
export const deliveryDelta = (outcome: DeliveryOutcome): Record<string, number> => ({
  [seriesKey(EVENT_DELIVERIES, { outcome })]: 1,
});

/** Help texts of the families, for the exposition (metrics-global.ts renderGlobal). */
export const EVENT_FAMILIES = {
  [EVENT_ATTEMPTS]:
    "Attempts to deliver an event to a webhook endpoint, by result: delivered (2xx), http_error, redirect (not " +
    "followed), timeout, network, url_refused.",
  [EVENT_DELIVERIES]:
    "Deliveries (one per event and endpoint) that ended, by outcome: delivered (first success), failed (given up " +
    "after 24 hours of retries, a refused URL, or dead-lettered), skipped (the endpoint was disabled).",
  [EVENT_LAG]:
    "Queue lag: from an event's createdAt (recorded by the call) to its first successful delivery to an " +
    "endpoint, retries included, ms.",
} as const;
