import type { EventType, WebhookEvent } from "../call/events";
import { getConfig } from "../config/config";
import { histogramDeltas } from "../observability/metrics-global";
import { attemptDelta, deliveryDelta, EVENT_LAG, EVENT_LAG_BUCKETS_MS } from "../observability/metrics-events";
import {
  failDelivery,
  recordAttempt,
  type AttemptRecord,
  type DeliveryKey,
  type DeliveryStatus,
  type SavedAttempt,
} from "../storage/webhook-deliveries";
import { endpointForDelivery, subscribedEndpoints, type DeliveryEndpoint } from "../storage/webhook-store";
import { attemptDelivery, DEFAULT_ATTEMPT_TIMEOUT_MS, type AttemptContext, type AttemptResult } from "./attempt";
import { RETRY_WINDOW_MS, retryDelaySeconds } from "./backoff";

/**
 * One delivery's attempt and what follows from it (docs/events.md, "Delivery"): the endpoint is
 * read afresh (its URL, whether it is enabled, its secret), the attempt made, the row updated, and
 * the wait before the next attempt decided. Shared by the first attempt (the event's fan-out) and
 * the retries (delivery messages), src/events/consumer.ts.
 */

/** How the consumer runs: the defaults in production, shorter timeouts and fakes in tests. */
export interface DeliveryOptions {
  timeoutMs?: number;
  fetch?: typeof fetch;
  random?: () => number;
  now?: () => number;
}

/**
 * Attempts of one batch in flight at once. A Worker invocation opens at most six outbound
 * connections at a time and queues the rest; an attempt's timeout must measure its own exchange,
 * not its wait for a connection, so the batch queues them here, before the clock starts.
 */
export const MAX_PARALLEL_ATTEMPTS = 6;

/** One batch's dependencies and the metric deltas it gathers (sent to the shards once, at its end). */
export interface DeliveryRun {
  env: Env;
  attempt: AttemptContext;
  random: () => number;
  now: () => number;
  deltas: Record<string, number>;
  /** Runs an attempt when one of the batch's MAX_PARALLEL_ATTEMPTS slots is free. */
  slot: <T>(work: () => Promise<T>) => Promise<T>;
  /**
   * What the batch read of endpoints (with their secrets decrypted), by tenant and endpoint id: a
   * batch's events are mostly one tenant's, and its endpoint is read and decrypted once, not once
   * an event. Lives as long as the batch (seconds), like the run itself.
   */
  endpoints: Map<string, Promise<DeliveryEndpoint | null>>;
  /** The endpoints subscribed to an event type, by tenant and type, read once a batch for the same reason. */
  subscribers: Map<string, Promise<string[]>>;
}

/** A counting semaphore: `work` runs once fewer than `max` others run. */
function slots(max: number): DeliveryRun["slot"] {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (work) => {
    while (active >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await work();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

export function deliveryRun(env: Env, options: DeliveryOptions = {}): DeliveryRun {
  const config = getConfig(env);
  const now = options.now ?? Date.now;
  return {
    env,
    random: options.random ?? Math.random,
    now,
    deltas: {},
    slot: slots(MAX_PARALLEL_ATTEMPTS),
    endpoints: new Map(),
    subscribers: new Map(),
    attempt: {
      env,
      allowPrivateUrls: config.ALLOW_PRIVATE_TOOL_URLS,
      origin: config.PUBLIC_BASE_URL,
      timeoutMs: options.timeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS,
      // Looked up at each call, not captured: the global fetch is what a test's spy replaces.
      fetch: options.fetch ?? ((input, init) => fetch(input, init)),
      now,
    },
  };
}

export function addDeltas(run: DeliveryRun, deltas: Record<string, number>): void {
  for (const [k, v] of Object.entries(deltas)) run.deltas[k] = (run.deltas[k] ?? 0) + v;
}

/** `read()` once per batch and `id`; a failed read is not kept (the batch's next use reads again). */
function once<T>(cache: Map<string, Promise<T>>, id: string, read: () => Promise<T>): Promise<T> {
  let value = cache.get(id);
  if (!value) {
    value = read();
    cache.set(id, value);
    value.catch(() => cache.delete(id));
  }
  return value;
}

function batchEndpoint(run: DeliveryRun, key: DeliveryKey): Promise<DeliveryEndpoint | null> {
  return once(run.endpoints, `${key.tenantId}/${key.endpointId}`, () =>
    endpointForDelivery(run.env, key.tenantId, key.endpointId),
  );
}

/** The tenant's enabled endpoints subscribed to `type`, read once a batch. */
export function batchSubscribers(run: DeliveryRun, tenantId: string, type: EventType): Promise<string[]> {
  return once(run.subscribers, `${tenantId}/${type}`, () => subscribedEndpoints(run.env.DB, tenantId, type));
}

/** The delivery row as the attempt finds it. */
export interface DeliveryState {
  attempts: number;
  retryUntil: string | null;
}

/** What the caller does next: nothing (delivered, given up, gone), or try again in `retryInSeconds`. */
export interface DeliveryStep {
  status: DeliveryStatus | "gone";
  retryInSeconds?: number;
}

/** An attempt made, with the row update it asks for and, on failure, the wait before the next one. */
export interface Attempted {
  key: DeliveryKey;
  event: WebhookEvent;
  result: AttemptResult;
  record: AttemptRecord;
  retryIn?: number;
  finishedAt: number;
}

/**
 * Makes one attempt of the delivery `key` of `event`, without recording it (the caller records a
 * batch's attempts together: recordAttempt(s)); a step instead when there is nothing to attempt.
 * Throws only when D1 or the keyring fails.
 */
export async function attemptOnce(
  run: DeliveryRun,
  key: DeliveryKey,
  event: WebhookEvent,
  state: DeliveryState,
): Promise<Attempted | DeliveryStep> {
  const endpoint = await batchEndpoint(run, key);
  // Deleted: its delivery rows went with it, nothing to record.
  if (!endpoint) return { status: "gone" };
  if (!endpoint.enabled) {
    // Disabled: this delivery is given up (a retry asked for after enabling it again sends it).
    if (await failDelivery(run.env.DB, key, "the endpoint is disabled")) addDeltas(run, deliveryDelta("skipped"));
    return { status: "failed" };
  }
  const { outcome, startedAt, finishedAt } = await run.slot(async () => {
    const began = run.now();
    const result = await attemptDelivery(endpoint, event, run.attempt);
    return { outcome: result, startedAt: began, finishedAt: run.now() };
  });
  const retryUntil = state.retryUntil ?? new Date(startedAt + RETRY_WINDOW_MS).toISOString();
  const windowOver = Date.parse(retryUntil) <= finishedAt;
  const retryIn =
    outcome.ok || !outcome.retryable || windowOver ? undefined : retryDelaySeconds(state.attempts + 1, run.random);
  const record: AttemptRecord = {
    status: outcome.ok ? "delivered" : retryIn === undefined ? "failed" : "pending",
    httpStatus: outcome.httpStatus,
    latencyMs: outcome.latencyMs,
    error: outcome.error,
    at: new Date(startedAt).toISOString(),
    retryUntil,
    nextAttemptAt: retryIn === undefined ? null : new Date(finishedAt + retryIn * 1000).toISOString(),
  };
  return { key, event, result: outcome.result, record, finishedAt, ...(retryIn === undefined ? {} : { retryIn }) };
}

export const isAttempted = (a: Attempted | DeliveryStep): a is Attempted => "record" in a;

/** What follows from a recorded attempt (`saved`: the row after it): the metrics, and whether to try again. */
export function settle(run: DeliveryRun, a: Attempted, saved: SavedAttempt | null): DeliveryStep {
  addDeltas(run, attemptDelta(a.result));
  if (!saved) return { status: "gone" };
  if (saved.firstDelivery) {
    addDeltas(run, deliveryDelta("delivered"));
    const lag = a.finishedAt - Date.parse(a.event.createdAt);
    addDeltas(run, histogramDeltas(EVENT_LAG, {}, Math.max(0, lag), EVENT_LAG_BUCKETS_MS));
  }
  if (saved.status === "failed" && a.record.status === "failed") addDeltas(run, deliveryDelta("failed"));
  return saved.status === "pending" && a.retryIn !== undefined
    ? { status: "pending", retryInSeconds: a.retryIn }
    : { status: saved.status };
}

/** One attempt, recorded at once (a retry: one delivery a message). */
export async function deliverOnce(
  run: DeliveryRun,
  key: DeliveryKey,
  event: WebhookEvent,
  state: DeliveryState,
): Promise<DeliveryStep> {
  const attempted = await attemptOnce(run, key, event, state);
  if (!isAttempted(attempted)) return attempted;
  return settle(run, attempted, await recordAttempt(run.env.DB, key, attempted.record));
}
