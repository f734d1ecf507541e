import type { EventType, WebhookEvent } from "../call/events";

/**
 * Events and their deliveries in D1 (migrations/0010_webhooks.sql, docs/events.md). An event is
 * stored once, with the body endpoints receive; each (endpoint, event) has one delivery row that
 * every attempt updates: status, attempts, the last answer's status and latency, the last error,
 * and when the next attempt is due. The queue delivers at least once, so every insert is INSERT OR
 * IGNORE and a delivered row stays delivered whatever a duplicate attempt makes of it.
 */

export type DeliveryStatus = "pending" | "delivered" | "failed";

export interface DeliveryKey {
  tenantId: string;
  endpointId: string;
  eventId: string;
}

/** A delivery as GET /webhooks/{id}/deliveries lists it. */
export interface DeliveryView {
  eventId: string;
  eventType: EventType;
  eventCreatedAt: string;
  callId: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatus: number | null;
  lastLatencyMs: number | null;
  lastError: string | null;
  firstAttemptAt: string | null;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  createdAt: string;
}

/** A delivery still to be attempted, as recordEvent finds it. */
export interface PendingDelivery {
  endpointId: string;
  attempts: number;
  retryUntil: string | null;
}

/**
 * Stores each event (once) and a pending delivery for each of its endpoints (once each), in one
 * D1 batch, and answers, per event, the deliveries still pending: after a redelivered queue
 * message, those already delivered or given up are not attempted again.
 */
export async function recordEvents(
  db: D1Database,
  items: readonly { event: WebhookEvent; endpointIds: readonly string[] }[],
  now: string,
): Promise<PendingDelivery[][]> {
  const statements = items.flatMap(({ event, endpointIds }) => [
    db
      .prepare(
        `INSERT OR IGNORE INTO webhook_events (event_id, tenant_id, call_id, type, sequence, created_at, body_json)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .bind(event.id, event.tenantId, event.callId, event.type, event.sequence, event.createdAt, JSON.stringify(event)),
    ...endpointIds.map((endpointId) =>
      db
        .prepare(
          `INSERT OR IGNORE INTO webhook_deliveries (tenant_id, endpoint_id, event_id, status, attempts, created_at)
           VALUES (?, ?, ?, 'pending', 0, ?)`,
        )
        .bind(event.tenantId, endpointId, event.id, now),
    ),
    db
      .prepare(
        `SELECT endpoint_id, attempts, retry_until FROM webhook_deliveries
         WHERE tenant_id = ? AND event_id = ? AND status = 'pending' ORDER BY endpoint_id`,
      )
      .bind(event.tenantId, event.id),
  ]);
  if (!statements.length) return [];
  const results = await db.batch<{ endpoint_id: string; attempts: number; retry_until: string | null }>(statements);
  let at = -1;
  return items.map(({ endpointIds }) => {
    at += endpointIds.length + 2; // this event's SELECT
    const wanted = new Set(endpointIds);
    return (results[at]?.results ?? [])
      .filter((r) => wanted.has(r.endpoint_id))
      .map((r) => ({ endpointId: r.endpoint_id, attempts: r.attempts, retryUntil: r.retry_until }));
  });
}

/** recordEvents for one event. */
export async function recordEvent(
  db: D1Database,
  event: WebhookEvent,
  endpointIds: readonly string[],
  now: string,
): Promise<PendingDelivery[]> {
  return (await recordEvents(db, [{ event, endpointIds }], now))[0] ?? [];
}

/** A delivery with its event, for one attempt. */
export interface DeliveryRecord {
  status: DeliveryStatus;
  attempts: number;
  retryUntil: string | null;
  event: WebhookEvent;
}

export async function readDelivery(db: D1Database, key: DeliveryKey): Promise<DeliveryRecord | null> {
  const row = await db
    .prepare(
      `SELECT d.status, d.attempts, d.retry_until, e.body_json
       FROM webhook_deliveries d JOIN webhook_events e ON e.event_id = d.event_id AND e.tenant_id = d.tenant_id
       WHERE d.tenant_id = ? AND d.endpoint_id = ? AND d.event_id = ?`,
    )
    .bind(key.tenantId, key.endpointId, key.eventId)
    .first<{ status: DeliveryStatus; attempts: number; retry_until: string | null; body_json: string }>();
  if (!row) return null;
  return {
    status: row.status,
    attempts: row.attempts,
    retryUntil: row.retry_until,
    event: JSON.parse(row.body_json) as WebhookEvent,
  };
}

/** One attempt's outcome, as the delivery row records it. */
export interface AttemptRecord {
  /** What the row becomes: delivered, pending (a retry is due at nextAttemptAt) or failed (given up). */
  status: DeliveryStatus;
  /** The receiver's HTTP status; null when it did not answer. */
  httpStatus: number | null;
  latencyMs: number;
  error: string | null;
  at: string;
  retryUntil: string;
  nextAttemptAt: string | null;
}

/** The row after an attempt was recorded, and whether the attempt was its first success (the lag's sample). */
export interface SavedAttempt {
  status: DeliveryStatus;
  attempts: number;
  firstDelivery: boolean;
}

function attemptStatement(db: D1Database, key: DeliveryKey, a: AttemptRecord): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE webhook_deliveries SET
         status = CASE WHEN status = 'delivered' THEN 'delivered' ELSE ?1 END,
         attempts = attempts + 1,
         last_status = ?2, last_latency_ms = ?3, last_error = ?4,
         first_attempt_at = COALESCE(first_attempt_at, ?5), last_attempt_at = ?5,
         retry_until = ?6,
         next_attempt_at = CASE WHEN status = 'delivered' THEN NULL ELSE ?7 END,
         delivered_at = CASE WHEN ?1 = 'delivered' THEN COALESCE(delivered_at, ?5) ELSE delivered_at END
       WHERE tenant_id = ?8 AND endpoint_id = ?9 AND event_id = ?10
       RETURNING status, attempts, delivered_at`,
    )
    .bind(
      a.status,
      a.httpStatus,
      Math.round(a.latencyMs),
      a.error,
      a.at,
      a.retryUntil,
      a.nextAttemptAt,
      key.tenantId,
      key.endpointId,
      key.eventId,
    );
}

/**
 * Records attempts, in one D1 batch. A row already delivered stays delivered (a duplicate attempt
 * that failed changes nothing but the counters). Answers each row as it is after the update
 * (null: the row is gone, its endpoint deleted meanwhile).
 */
export async function recordAttempts(
  db: D1Database,
  items: readonly { key: DeliveryKey; record: AttemptRecord }[],
): Promise<(SavedAttempt | null)[]> {
  if (!items.length) return [];
  type Row = { status: DeliveryStatus; attempts: number; delivered_at: string | null };
  const results = await db.batch<Row>(items.map(({ key, record }) => attemptStatement(db, key, record)));
  return items.map(({ record }, i) => {
    const row = results[i]?.results[0];
    if (!row) return null;
    const firstDelivery = record.status === "delivered" && row.delivered_at === record.at;
    return { status: row.status, attempts: row.attempts, firstDelivery };
  });
}

/** recordAttempts for one attempt. */
export async function recordAttempt(db: D1Database, key: DeliveryKey, a: AttemptRecord): Promise<SavedAttempt | null> {
  return (await recordAttempts(db, [{ key, record: a }]))[0] ?? null;
}

/** Gives a pending delivery up without an attempt (its endpoint is disabled, or the dead-letter queue took it). */
export async function failDelivery(db: D1Database, key: DeliveryKey, error: string): Promise<boolean> {
  const res = await db
    .prepare(
      `UPDATE webhook_deliveries SET status = 'failed', last_error = ?, next_attempt_at = NULL
       WHERE tenant_id = ? AND endpoint_id = ? AND event_id = ? AND status = 'pending'`,
    )
    .bind(error, key.tenantId, key.endpointId, key.eventId)
    .run();
  return res.meta.changes > 0;
}

/** Gives up every pending delivery of an event (its queue message reached the dead-letter queue). */
export async function failEventDeliveries(db: D1Database, tenantId: string, eventId: string, error: string) {
  const res = await db
    .prepare(
      `UPDATE webhook_deliveries SET status = 'failed', last_error = ?, next_attempt_at = NULL
       WHERE tenant_id = ? AND event_id = ? AND status = 'pending'`,
    )
    .bind(error, tenantId, eventId)
    .run();
  return res.meta.changes;
}

/**
 * Makes a delivery pending again for POST .../retry, with a new 24-hour window of retries; false
 * when the endpoint has no delivery of that event.
 */
export async function requeueDelivery(db: D1Database, key: DeliveryKey, now: Date, windowMs: number): Promise<boolean> {
  const row = await db
    .prepare(
      `UPDATE webhook_deliveries SET status = 'pending', retry_until = ?, next_attempt_at = ?
       WHERE tenant_id = ? AND endpoint_id = ? AND event_id = ? RETURNING event_id`,
    )
    .bind(
      new Date(now.getTime() + windowMs).toISOString(),
      now.toISOString(),
      key.tenantId,
      key.endpointId,
      key.eventId,
    )
    .first<{ event_id: string }>();
  return row !== null;
}

/** A page position: the last listed delivery's creation time and event id. */
export interface DeliveryCursor {
  createdAt: string;
  eventId: string;
}

interface DeliveryRow {
  event_id: string;
  type: EventType;
  event_created_at: string;
  call_id: string;
  status: DeliveryStatus;
  attempts: number;
  last_status: number | null;
  last_latency_ms: number | null;
  last_error: string | null;
  first_attempt_at: string | null;
  last_attempt_at: string | null;
  next_attempt_at: string | null;
  delivered_at: string | null;
  created_at: string;
}

/** An endpoint's deliveries, newest first (optionally of one status), after `before`. */
export async function listDeliveries(
  db: D1Database,
  tenantId: string,
  endpointId: string,
  page: { status?: DeliveryStatus | undefined; limit: number; before?: DeliveryCursor | undefined },
): Promise<DeliveryView[]> {
  const where = ["d.tenant_id = ?", "d.endpoint_id = ?"];
  const args: unknown[] = [tenantId, endpointId];
  if (page.status) {
    where.push("d.status = ?");
    args.push(page.status);
  }
  if (page.before) {
    where.push("(d.created_at < ? OR (d.created_at = ? AND d.event_id < ?))");
    args.push(page.before.createdAt, page.before.createdAt, page.before.eventId);
  }
  const { results } = await db
    .prepare(
      `SELECT d.event_id, e.type, e.created_at AS event_created_at, e.call_id, d.status, d.attempts, d.last_status,
              d.last_latency_ms, d.last_error, d.first_attempt_at, d.last_attempt_at, d.next_attempt_at,
              d.delivered_at, d.created_at
       FROM webhook_deliveries d JOIN webhook_events e ON e.event_id = d.event_id AND e.tenant_id = d.tenant_id
       WHERE ${where.join(" AND ")}
       ORDER BY d.created_at DESC, d.event_id DESC LIMIT ?`,
    )
    .bind(...args, page.limit)
    .all<DeliveryRow>();
  return results.map((r) => ({
    eventId: r.event_id,
    eventType: r.type,
    eventCreatedAt: r.event_created_at,
    callId: r.call_id,
    status: r.status,
    attempts: r.attempts,
    lastStatus: r.last_status,
    lastLatencyMs: r.last_latency_ms,
    lastError: r.last_error,
    firstAttemptAt: r.first_attempt_at,
    lastAttemptAt: r.last_attempt_at,
    nextAttemptAt: r.next_attempt_at,
    deliveredAt: r.delivered_at,
    createdAt: r.created_at,
  }));
}

/**
 * Erases a call's stored events and their deliveries (DELETE /calls/{id}: nothing of the call
 * stays here; what endpoints already received is theirs). Answers how many events went.
 */
export async function eraseCallEvents(db: D1Database, tenantId: string, callId: string): Promise<number> {
  const [, events] = await db.batch([
    db
      .prepare(
        `DELETE FROM webhook_deliveries WHERE tenant_id = ?1 AND event_id IN
           (SELECT event_id FROM webhook_events WHERE tenant_id = ?1 AND call_id = ?2)`,
      )
      .bind(tenantId, callId),
    db.prepare("DELETE FROM webhook_events WHERE tenant_id = ? AND call_id = ?").bind(tenantId, callId),
  ]);
  return events?.meta.changes ?? 0;
}

/**
 * Deletes events created before `cutoff` (ISO) and their deliveries, at most `limit` events a run
 * (the retention job, WARM_RETENTION_DAYS: events carry transcripts as the warm tier does).
 */
export async function deleteEventsBefore(db: D1Database, cutoff: string, limit = 1000): Promise<number> {
  const pick = "SELECT tenant_id, event_id FROM webhook_events WHERE created_at < ?1 ORDER BY created_at LIMIT ?2";
  const [, events] = await db.batch([
    db.prepare(`DELETE FROM webhook_deliveries WHERE (tenant_id, event_id) IN (${pick})`).bind(cutoff, limit),
    db.prepare(`DELETE FROM webhook_events WHERE (tenant_id, event_id) IN (${pick})`).bind(cutoff, limit),
  ]);
  return events?.meta.changes ?? 0;
}
