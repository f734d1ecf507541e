import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { vi } from "vitest";
import type { EventMessage, EventType, WebhookEvent } from "../../src/call/events";
import { consumeEvents, type DeliveryOptions } from "../../src/events/consumer";
import { api, uid } from "../helpers/api";

/** Endpoints, events and a simulated queue for the tests of events to tenants' backends (docs/events.md). */

export const HOOK_URL = "https://hooks.example.com/voice-edge";
export const MAIN_QUEUE = "voice-edge-events";
export const DEAD_LETTERS = "voice-edge-events-dlq";

export interface Created {
  endpointId: string;
  url: string;
  events: EventType[];
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
  secret?: string;
}

export function putWebhook(key: string, endpointId: string, body: unknown): Promise<Response> {
  return api(`/api/v1/webhooks/${endpointId}`, { method: "PUT", key, json: body });
}

/** A new endpoint of the key's tenant; its secret. */
export async function webhook(
  key: string,
  body: Record<string, unknown> = {},
  endpointId = uid("hook"),
): Promise<{ endpointId: string; secret: string }> {
  const res = await putWebhook(key, endpointId, { url: HOOK_URL, events: ["call.started", "call.ended"], ...body });
  if (res.status !== 201) throw new Error(`PUT webhook: ${res.status} ${await res.text()}`);
  return { endpointId, secret: ((await res.json()) as Created).secret as string };
}

let sequence = 0;
export function event(tenantId: string, type: EventType = "call.started", extra: Partial<WebhookEvent> = {}) {
  const callId = extra.callId ?? uid("call");
  return {
    id: uid("evt"),
    type,
    createdAt: new Date().toISOString(),
    tenantId,
    callId,
    sequence: ++sequence,
    data: { language: "en-US", userId: null, metadata: {}, residency: null },
    ...extra,
  } satisfies WebhookEvent;
}

/** What the consumer sent to the EVENTS queue. */
export interface Sent {
  body: EventMessage;
  delaySeconds?: number;
}

/** The test env with a fake EVENTS queue recording what is sent (the real one would deliver it in the background). */
export function queueEnv(vars: Record<string, string> = {}): { env: Env; sent: Sent[] } {
  const sent: Sent[] = [];
  const EVENTS = {
    async send(body: EventMessage, options?: QueueSendOptions) {
      sent.push({ body, ...(options?.delaySeconds !== undefined ? { delaySeconds: options.delaySeconds } : {}) });
    },
    async sendBatch(messages: Iterable<MessageSendRequest<EventMessage>>) {
      for (const m of messages)
        sent.push({ body: m.body, ...(m.delaySeconds !== undefined ? { delaySeconds: m.delaySeconds } : {}) });
    },
  };
  return { env: { ...env, ...vars, EVENTS } as unknown as Env, sent };
}

export interface Queued {
  id: string;
  body: unknown;
  attempts: number;
}

let messages = 0;
export const queued = (body: unknown, attempts = 1): Queued => ({ id: `msg-${++messages}`, body, attempts });

/** One batch through the consumer, as Queues would hand it over; its acks and retries. */
export async function runBatch(
  testEnv: Env,
  items: Queued[],
  options: DeliveryOptions = {},
  queue = MAIN_QUEUE,
): Promise<{ acked: string[]; retried: { msgId: string; delaySeconds?: number }[] }> {
  const batch = createMessageBatch(
    queue,
    items.map((m) => ({ id: m.id, timestamp: new Date(), attempts: m.attempts, body: m.body })),
  );
  // getQueueResult says which messages were retried but not with what delay: recorded here.
  const delays = new Map<string, number | undefined>();
  for (const m of batch.messages) {
    const retry = m.retry.bind(m);
    m.retry = (o?: QueueRetryOptions) => {
      delays.set(m.id, o?.delaySeconds);
      retry(o);
    };
  }
  const ctx = createExecutionContext();
  await consumeEvents(batch, testEnv, ctx, options);
  const result = await getQueueResult(batch, ctx);
  return {
    acked: result.explicitAcks,
    retried: result.retryMessages.map((r) => ({ msgId: r.msgId, delaySeconds: delays.get(r.msgId) })),
  };
}

/**
 * Runs the queue until it is empty, as Queues would (delays recorded, not waited): each round's
 * retried messages and newly sent ones form the next batch. Answers every delay asked for.
 */
export async function drain(
  testEnv: Env,
  sent: Sent[],
  first: Queued[],
  options: DeliveryOptions = {},
  maxRounds = 60,
): Promise<number[]> {
  const delays: number[] = [];
  let batch = first;
  for (let round = 0; batch.length && round < maxRounds; round++) {
    const before = sent.length;
    const { acked, retried } = await runBatch(testEnv, batch, options);
    const next: Queued[] = [];
    for (const r of retried) {
      const m = batch.find((b) => b.id === r.msgId) as Queued;
      delays.push(r.delaySeconds ?? 0);
      next.push({ ...m, attempts: m.attempts + 1 });
    }
    for (const s of sent.slice(before)) {
      delays.push(s.delaySeconds ?? 0);
      next.push(queued(s.body));
    }
    for (const m of batch)
      if (!acked.includes(m.id) && !retried.some((r) => r.msgId === m.id)) throw new Error(`message ${m.id} left open`);
    batch = next;
  }
  if (batch.length) throw new Error("the queue did not drain");
  return delays;
}

export interface Received {
  url: string;
  headers: Record<string, string>;
  body: string;
  redirect: RequestInit["redirect"];
}

/**
 * The tenant's receiver, as a fetch mock: `answer` decides each request's fate (a Response, "hang"
 * until the attempt's timeout aborts it, or "network" for a connection error).
 */
export function receiver(
  answer: (req: Received, n: number) => Response | "hang" | "network" = () => new Response("ok"),
) {
  const seen: Received[] = [];
  const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    const got: Received = {
      url: request.url,
      headers: Object.fromEntries(request.headers),
      body: await request.text(),
      redirect: init?.redirect,
    };
    seen.push(got);
    const a = answer(got, seen.length);
    if (a === "network") throw new TypeError("connection refused to 203.0.113.9:443");
    if (a === "hang")
      return new Promise<Response>((_resolve, reject) =>
        init?.signal?.addEventListener("abort", () => reject(init.signal?.reason as Error)),
      );
    return a;
  });
  return { seen, spy };
}

/** The delivery rows of an endpoint, straight from D1. */
export async function deliveryRows(tenantId: string, endpointId: string) {
  const { results } = await env.DB.prepare(
    "SELECT * FROM webhook_deliveries WHERE tenant_id = ? AND endpoint_id = ? ORDER BY created_at, event_id",
  )
    .bind(tenantId, endpointId)
    .all<{
      event_id: string;
      status: string;
      attempts: number;
      last_status: number | null;
      last_error: string | null;
      retry_until: string | null;
      next_attempt_at: string | null;
      delivered_at: string | null;
    }>();
  return results;
}
