import type { EventMessage, WebhookEvent } from "../call/events";
import { errorMessage } from "../lib/errors";
import { log } from "../observability/log";
import { addGlobal } from "../observability/metrics-global";
import { deliveryDelta } from "../observability/metrics-events";
import {
  failDelivery,
  failEventDeliveries,
  readDelivery,
  recordEvent,
  type DeliveryKey,
} from "../storage/webhook-deliveries";
import { subscribedEndpoints } from "../storage/webhook-store";
import { retryDelaySeconds } from "./backoff";
import {
  addDeltas,
  batchSubscribers,
  deliverOnce,
  deliveryRun,
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
 *                         (src/events/backoff.ts). An event no endpoint wants is not stored.
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
  const handle = isDeadLetterQueue(batch.queue) ? deadLetter : consume;
  await Promise.all(batch.messages.map((message) => handle(run, message)));
  if (Object.keys(run.deltas).length) addGlobal(env, ctx, run.deltas);
}

async function consume(run: DeliveryRun, message: Message<unknown>): Promise<void> {
  const body = parseEventMessage(message.body);
  if (!body) {
    log("event_message_unreadable", { messageId: message.id }, "error");
    message.ack();
    return;
  }
  try {
    if (body.kind === "event") {
      await fanOut(run, body.event);
      message.ack();
    } else {
      const retryIn = await redeliver(run, body);
      if (retryIn === undefined) message.ack();
      else message.retry({ delaySeconds: retryIn });
    }
  } catch (err) {
    const delaySeconds = retryDelaySeconds(message.attempts, run.random);
    log(
      "event_message_failed",
      { messageId: message.id, ...idsOf(body), error: errorMessage(err), delaySeconds },
      "warn",
    );
    message.retry({ delaySeconds });
  }
}

/** Stores the event and its deliveries, makes every first attempt, and queues the retries of those that failed. */
async function fanOut(run: DeliveryRun, event: WebhookEvent): Promise<void> {
  const db = run.env.DB;
  const endpoints = await batchSubscribers(run, event.tenantId, event.type);
  if (!endpoints.length) return;
  const pending = await recordEvent(db, event, endpoints, new Date(run.now()).toISOString());
  const steps = await Promise.allSettled(
    pending.map((p) =>
      deliverOnce(run, { tenantId: event.tenantId, endpointId: p.endpointId, eventId: event.id }, event, p),
    ),
  );
  const retries: MessageSendRequest<EventMessage>[] = [];
  steps.forEach((step, i) => {
    const endpointId = (pending[i] as { endpointId: string }).endpointId;
    let delaySeconds: number | undefined;
    if (step.status === "fulfilled") delaySeconds = step.value.retryInSeconds;
    else {
      // The attempt could not even be made or recorded (D1, the keyring): tried again like a failed one.
      delaySeconds = retryDelaySeconds(1, run.random);
      log("event_delivery_failed", { eventId: event.id, endpointId, error: errorMessage(step.reason) }, "warn");
    }
    if (delaySeconds !== undefined)
      retries.push({
        body: { v: 1, kind: "delivery", tenantId: event.tenantId, endpointId, eventId: event.id },
        delaySeconds,
      });
  });
  // If this fails the event message is retried: delivered deliveries are skipped, pending ones tried again.
  if (retries.length) await run.env.EVENTS.sendBatch(retries);
}

/** One delivery tried again; the seconds before the next try, or undefined when it is settled. */
async function redeliver(run: DeliveryRun, key: DeliveryKey): Promise<number | undefined> {
  const record = await readDelivery(run.env.DB, key);
  // No record: the endpoint was deleted or the call erased. Delivered or given up: nothing to do.
  if (!record || record.status !== "pending") return undefined;
  const step = await deliverOnce(run, key, record.event, record);
  return step.retryInSeconds;
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
