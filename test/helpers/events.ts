import { env } from "cloudflare:workers";
import type { EventMessage, EventType, WebhookEvent } from "../../src/call/events";
import { forgetSubscriptions } from "../../src/storage/webhook-store";
import { uid } from "./api";

/**
 * Test doubles for the producer side of events: a queue put in a call object's env that records
 * the events it is sent (and can refuse them), and a tenant endpoint written straight to D1.
 */
export function recordingQueue() {
  const sent: WebhookEvent[] = [];
  const state = { refusing: false, batches: 0 };
  const take = (bodies: EventMessage[]) => {
    if (state.refusing) throw new Error("queue unavailable");
    state.batches++;
    for (const b of bodies) if (b.kind === "event") sent.push(b.event);
  };
  const queue = {
    send: async (body: EventMessage) => take([body]),
    sendBatch: async (messages: Iterable<MessageSendRequest<EventMessage>>) => take([...messages].map((m) => m.body)),
  } as unknown as Queue;
  return { queue, sent, state };
}

/** A tenant endpoint subscribed to `types`, written to D1 as the webhooks route would. */
export async function subscribe(tenantId: string, types: readonly EventType[]): Promise<void> {
  const now = new Date().toISOString();
  await env.DB.prepare(
    `INSERT INTO webhook_endpoints (tenant_id, endpoint_id, url, events_json, enabled, secret_enc, secret_kid,
       created_at, updated_at) VALUES (?, ?, 'https://hooks.example.com/x', ?, 1, 'x', 'x', ?, ?)`,
  )
    .bind(tenantId, uid("ep"), JSON.stringify(types), now, now)
    .run();
  forgetSubscriptions(tenantId);
}

/** Polls `read` until it gives a value (events are sent after the answer, in the object's waitUntil). */
export async function until<T>(read: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = read();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
