import type { EventMessage, WebhookEvent } from "../call/events";
import { errorMessage } from "../lib/errors";
import { log } from "../observability/log";
import { addGlobal } from "../observability/metrics-global";
import { deliveryDelta } from "../observability/metrics-events";
import {
  failDelivery,
  failEventDeliveries,
  readDelivery,
  recordAttempts,
  recordEvent,
  recordEvents,
  type DeliveryKey,
} from "../storage/webhook-deliveries";
import { subscribedEndpoints } from "../storage/webhook-store";
import { retryDelaySeconds } from "./backoff";
import {
  addDeltas,
  attemptOnce,
  batchSubscribers,
  deliverOnce,
  deliveryRun,
  isAttempted,
  settle,
  type DeliveryOptions,
  type DeliveryRun,
} from "./deliver";
import { parseEventMessage } from "./message";

/**
 * The EVENTS queue's consumer (wired in src/index.ts; docs/events.md):
 *
 *   { kind: "event" }     the event is stored once, with a pending delivery per enabled endpoint
 *                         subscribed to its type, and each is attempted at once, in parallel; a
 *                         failed one becomes a { kind: "delivery" } message delayed by the backoff
 *                         (src/events/backoff.ts). An event no endpoint wants is not stored. A
 *                         batch's events cost D1 two writes in all (stored, attempts recorded),
 *                         whatever their number.
 *   { kind: "delivery" }  one delivery attempted again (a retry, or POST .../retry): already
 *                         delivered or given up → acknowledged; failed again → the message is
 *                         retried with the next delay, until 24 hours have passed since the first
 *                         attempt, when the delivery is given up (`failed`).
 *
 * A message the consumer itself could not handle (D1 unavailable...) is retried with the same
 * backoff and, after the queue's max_retries, reaches the dead-letter queue, whose consumer (the
 * same handler: a queue named `*-dlq`) records its deliveries as failed, so they show up, and can
 * be retried, in GET /webhooks/{id}/deliveries.
 */

export type { DeliveryOptions } from "./deliver";

/** A dead-letter queue is recognised by its name (wrangler.toml: voice-edge-events-dlq). */
export const isDeadLetterQueue = (queue: string): boolean => queue.endsWith("-dlq");

/** Handles one batch of either queue. Every message is acknowledged or retried; nothing is left in flight. */
export async function consumeEvents(
  batch: MessageBatch<unknown>,
  env: Env,
  ctx: { waitUntil(p: Promise<unknown>): void },
  options: DeliveryOptions = {},
): Promise<void> {
  const run = deliveryRun(env, options);
  if (isDeadLetterQueue(batch.queue)) await Promise.all(batch.messages.map((m) => deadLetter(run, m)));
  else {
    const events: { message: Message<unknown>; event: WebhookEvent }[] = [];
    const deliveries: { message: Message<unknown>; key: DeliveryKey }[] = [];
    for (const message of batch.messages) {
      const body = parseEventMessage(message.body);
      if (!body) {
        log("event_message_unreadable", { messageId: message.id }, "error");
        message.ack();
      } else if (body.kind === "event") events.push({ message, event: body.event });
      else deliveries.push({ message, key: body });
    }
    await Promise.all([fanOut(run, events), ...deliveries.map((d) => redeliver(run, d.message, d.key))]);
  }
  if (Object.keys(run.deltas).length) addGlobal(env, ctx, run.deltas);
}

/** The retry of a message the consumer could not handle, with the backoff's delay for its attempt number. */
function retryMessage(run: DeliveryRun, message: Message<unknown>, ids: Record<string, string>, err: unknown): void {
  const delaySeconds = retryDelaySeconds(message.attempts, run.random);
  log("event_message_failed", { messageId: message.id, ...ids, error: errorMessage(err), delaySeconds }, "warn");
  message.retry({ delaySeconds });
}

/**
 * The batch's events: stored with their deliveries in one D1 batch, every first attempt made (in
 * parallel, MAX_PARALLEL_ATTEMPTS at a time), the attempts recorded in one D1 batch, and the
 * retries of those that failed queued. If storing, recording or queueing fails, the event messages
 * are retried: delivered deliveries are then skipped, pending ones attempted again (at least once).
 */
async function fanOut(run: DeliveryRun, items: { message: Message<unknown>; event: WebhookEvent }[]): Promise<void> {
  if (!items.length) return;
  try {
    const db = run.env.DB;
    const subscribed = await Promise.all(items.map(({ event }) => batchSubscribers(run, event.tenantId, event.type)));
    // The same event twice in one batch (Queues delivers at least once) is worked on once.
    const seen = new Set<string>();
    const wanted = items.flatMap(({ event }, i) =>
      subscribed[i]?.length && !seen.has(event.id) && seen.add(event.id) ? [{ event, endpointIds: subscribed[i] }] : [],
    );
    const pending = await recordEvents(db, wanted, new Date(run.now()).toISOString());
    const jobs = wanted.flatMap(({ event }, i) =>
      (pending[i] ?? []).map((p) => ({
        key: { tenantId: event.tenantId, endpointId: p.endpointId, eventId: event.id },
        event,
        p,
      })),
    );
    const tried = await Promise.allSettled(jobs.map((j) => attemptOnce(run, j.key, j.event, j.p)));
    const attempted = tried.flatMap((t) => (t.status === "fulfilled" && isAttempted(t.value) ? [t.value] : []));
    const saved = await recordAttempts(db, attempted);
    const retries: MessageSendRequest<EventMessage>[] = [];
    attempted.forEach((a, i) => {
      const delaySeconds = settle(run, a, saved[i] ?? null).retryInSeconds;
      if (delaySeconds !== undefined) retries.push({ body: { v: 1, kind: "delivery", ...a.key }, delaySeconds });
    });
    tried.forEach((t, i) => {
      if (t.status === "fulfilled") return;
      // The attempt could not even be made (D1, the keyring): tried again like a failed one.
      const { key } = jobs[i] as { key: DeliveryKey };
      log("event_delivery_failed", { ...key, error: errorMessage(t.reason) }, "warn");
      retries.push({ body: { v: 1, kind: "delivery", ...key }, delaySeconds: retryDelaySeconds(1, run.random) });
    });
    if (retries.length) await run.env.EVENTS.sendBatch(retries);
    for (const { message } of items) message.ack();
  } catch (err) {
    for (const { message, event } of items) retryMessage(run, message, idsOf({ v: 1, kind: "event", event }), err);
  }
}

/** One delivery tried again: acknowledged once settled, else retried after the backoff's next delay. */
async function redeliver(run: DeliveryRun, message: Message<unknown>, key: DeliveryKey): Promise<void> {
  try {
    const record = await readDelivery(run.env.DB, key);
    // No record: the endpoint was deleted or the call erased. Delivered or given up: nothing to do.
    const step = record?.status === "pending" ? await deliverOnce(run, key, record.event, record) : undefined;
    if (step?.retryInSeconds === undefined) message.ack();
    else message.retry({ delaySeconds: step.retryInSeconds });
  } catch (err) {
    retryMessage(run, message, { tenantId: key.tenantId, endpointId: key.endpointId, eventId: key.eventId }, err);
  }
}

/** A dead-lettered message: its deliveries are given up and recorded as such. */
async function deadLetter(run: DeliveryRun, message: Message<unknown>): Promise<void> {
  const body = parseEventMessage(message.body);
  const reason = "the delivery could not be processed and was dead-lettered";
  try {
    if (!body) log("event_message_unreadable", { messageId: message.id, queue: "dead-letter" }, "error");
    else if (body.kind === "delivery") {
      if (await failDelivery(run.env.DB, body, reason)) addDeltas(run, deliveryDelta("failed"));
    } else {
      // The event may never have been stored: store it with its deliveries, then give them up, so
      // they can be seen and retried (POST .../retry).
      const { event } = body;
      const endpoints = await subscribedEndpoints(run.env.DB, event.tenantId, event.type);
      if (endpoints.length) await recordEvent(run.env.DB, event, endpoints, new Date(run.now()).toISOString());
      const failed = await failEventDeliveries(run.env.DB, event.tenantId, event.id, reason);
      for (let i = 0; i < failed; i++) addDeltas(run, deliveryDelta("failed"));
    }
    log("event_message_dead_lettered", { messageId: message.id, ...(body ? idsOf(body) : {}) }, "error");
    message.ack();
  } catch (err) {
    log("event_dead_letter_failed", { messageId: message.id, error: errorMessage(err) }, "error");
    message.retry({ delaySeconds: retryDelaySeconds(message.attempts, run.random) });
  }
}

function idsOf(body: EventMessage): Record<string, string> {
  return body.kind === "event"
    ? { tenantId: body.event.tenantId, eventId: body.event.id, eventType: body.event.type }
    : { tenantId: body.tenantId, endpointId: body.endpointId, eventId: body.eventId };
}
