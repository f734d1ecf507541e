import { EVENT_TYPES, type EventType } from "../call/events";
import { setBounded } from "../lib/bounded-map";
import { newWebhookSecret } from "../security/webhook-signature";
import type { ArchiveKeysEnv } from "./encryption";
import { openSecret, sealSecret } from "./sealed-secret";

/**
 * A tenant's webhook endpoints in D1 (migrations/0010_webhooks.sql): where its events go
 * (docs/events.md). Every query names the tenant, so one tenant's endpoint id never finds
 * another's endpoint.
 *
 * The signing secret is encrypted as agents' secrets are (src/storage/agent-store.ts): with the
 * archive keyring (ARCHIVE_KEYS), the tenant and endpoint id as associated data, so a ciphertext
 * copied to another endpoint's row does not decrypt. It is decrypted only to sign a delivery
 * (endpointForDelivery); the API's reads never select it. The events and deliveries themselves:
 * webhook-deliveries.ts.
 */

export interface WebhookStoreEnv extends ArchiveKeysEnv {
  readonly DB: D1Database;
}

export interface EndpointFields {
  url: string;
  events: EventType[];
  enabled: boolean;
}

/** An endpoint as GET shows it: never its secret. */
export interface StoredEndpoint extends EndpointFields {
  endpointId: string;
  createdAt: string;
  updatedAt: string;
}

export interface PutEndpointResult {
  endpoint: StoredEndpoint;
  /** Only when this PUT created the endpoint: shown this once. */
  secret?: string;
}

const secretAad = (tenantId: string, endpointId: string) => `webhooks/${tenantId}/${endpointId}/secret`;

interface EndpointRow {
  endpoint_id: string;
  url: string;
  events_json: string;
  enabled: number;
  created_at: string;
  updated_at: string;
}

const COLUMNS = "endpoint_id, url, events_json, enabled, created_at, updated_at";

function eventTypes(json: string): EventType[] {
  const parsed: unknown = JSON.parse(json);
  return Array.isArray(parsed) ? EVENT_TYPES.filter((t) => parsed.includes(t)) : [];
}

function endpointOf(row: EndpointRow): StoredEndpoint {
  return {
    endpointId: row.endpoint_id,
    url: row.url,
    events: eventTypes(row.events_json),
    enabled: row.enabled === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * Creates the endpoint (with a new secret, returned this once) or replaces its URL, events and
 * enabled flag (its secret stays). One statement, so concurrent PUTs never make two secrets.
 */
export async function putEndpoint(
  env: WebhookStoreEnv,
  tenantId: string,
  endpointId: string,
  fields: EndpointFields,
): Promise<PutEndpointResult> {
  const now = new Date().toISOString();
  const secret = newWebhookSecret();
  const sealed = await sealSecret(env, secretAad(tenantId, endpointId), secret);
  const row = await env.DB.prepare(
    `INSERT INTO webhook_endpoints
       (tenant_id, endpoint_id, url, events_json, enabled, secret_enc, secret_kid, created_at, updated_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)
     ON CONFLICT (tenant_id, endpoint_id) DO UPDATE SET
       url = excluded.url, events_json = excluded.events_json, enabled = excluded.enabled,
       updated_at = excluded.updated_at
     RETURNING ${COLUMNS}, secret_enc`,
  )
    .bind(
      tenantId,
      endpointId,
      fields.url,
      JSON.stringify(fields.events),
      fields.enabled ? 1 : 0,
      sealed.enc,
      sealed.kid,
      now,
    )
    .first<EndpointRow & { secret_enc: string }>();
  if (!row) throw new Error("webhook endpoint upsert returned no row");
  forgetSubscriptions(tenantId);
  // The ciphertext is random: the row holds ours only if this PUT created the endpoint.
  return { endpoint: endpointOf(row), ...(row.secret_enc === sealed.enc ? { secret } : {}) };
}

/** The endpoint, or null (none, or another tenant's). Never the secret. */
export async function readEndpoint(
  db: D1Database,
  tenantId: string,
  endpointId: string,
): Promise<StoredEndpoint | null> {
  const row = await db
    .prepare(`SELECT ${COLUMNS} FROM webhook_endpoints WHERE tenant_id = ? AND endpoint_id = ?`)
    .bind(tenantId, endpointId)
    .first<EndpointRow>();
  return row ? endpointOf(row) : null;
}

/** The tenant's endpoints by id, keyset-paginated after `after`. */
export async function listEndpoints(
  db: D1Database,
  tenantId: string,
  page: { limit: number; after?: string | undefined },
): Promise<StoredEndpoint[]> {
  const { results } = await db
    .prepare(
      `SELECT ${COLUMNS} FROM webhook_endpoints WHERE tenant_id = ? AND endpoint_id > ? ORDER BY endpoint_id LIMIT ?`,
    )
    .bind(tenantId, page.after ?? "", page.limit)
    .all<EndpointRow>();
  return results.map(endpointOf);
}

/**
 * Deletes the endpoint and its deliveries' records: nothing more is sent to it (a delivery waiting
 * in the queue finds no record and is dropped). False when there was none.
 */
export async function deleteEndpoint(db: D1Database, tenantId: string, endpointId: string): Promise<boolean> {
  const [endpoint] = await db.batch([
    db.prepare("DELETE FROM webhook_endpoints WHERE tenant_id = ? AND endpoint_id = ?").bind(tenantId, endpointId),
    db.prepare("DELETE FROM webhook_deliveries WHERE tenant_id = ? AND endpoint_id = ?").bind(tenantId, endpointId),
  ]);
  forgetSubscriptions(tenantId);
  return (endpoint?.meta.changes ?? 0) > 0;
}

/** What a delivery needs of its endpoint: where, whether it still wants events, and the secret to sign with. */
export interface DeliveryEndpoint {
  url: string;
  enabled: boolean;
  secret: string;
}

/** The endpoint with its secret decrypted, for one delivery attempt; null when it no longer exists. */
export async function endpointForDelivery(
  env: WebhookStoreEnv,
  tenantId: string,
  endpointId: string,
): Promise<DeliveryEndpoint | null> {
  const row = await env.DB.prepare(
    "SELECT url, enabled, secret_enc FROM webhook_endpoints WHERE tenant_id = ? AND endpoint_id = ?",
  )
    .bind(tenantId, endpointId)
    .first<{ url: string; enabled: number; secret_enc: string }>();
  if (!row) return null;
  return {
    url: row.url,
    enabled: row.enabled === 1,
    secret: await openEndpointSecret(env, tenantId, endpointId, row.secret_enc),
  };
}

function openEndpointSecret(env: WebhookStoreEnv, tenantId: string, endpointId: string, enc: string): Promise<string> {
  return openSecret(env, secretAad(tenantId, endpointId), enc, {
    code: "webhook_secret_unavailable",
    detail:
      `Webhook endpoint '${endpointId}' cannot sign: its secret cannot be decrypted with this deployment's ` +
      "ARCHIVE_KEYS. An operator must restore the key, or the endpoint be deleted and created again.",
  });
}

/** The ids of the tenant's enabled endpoints subscribed to `type`, in id order. */
export async function subscribedEndpoints(db: D1Database, tenantId: string, type: EventType): Promise<string[]> {
  const { results } = await db
    .prepare(
      `SELECT endpoint_id FROM webhook_endpoints
       WHERE tenant_id = ? AND enabled = 1 AND EXISTS (SELECT 1 FROM json_each(events_json) WHERE value = ?)
       ORDER BY endpoint_id`,
    )
    .bind(tenantId, type)
    .all<{ endpoint_id: string }>();
  return results.map((r) => r.endpoint_id);
}

// ---------------------------------------------------------------- subscriptions, cached per isolate

/**
 * How long an isolate trusts what it read of a tenant's subscriptions. A call asks when it starts
 * (which events to record at all); a PUT or DELETE clears its own isolate's entry at once, and
 * other isolates see the change within this long.
 */
export const SUBSCRIPTIONS_TTL_MS = 15_000;
const SUBSCRIPTIONS_MAX_TENANTS = 10_000;

/**
 * tenant id → event types and when they were read. Module state, but no request's: each entry is
 * a fact about D1 (the union of one tenant's enabled endpoints' types), read for and reached only
 * by that tenant's requests, bounded and short-lived.
 */
const subscriptions = new Map<string, { types: Promise<EventType[]>; until: number }>();

/** The event types some enabled endpoint of the tenant wants (the union of their `events`), in EVENT_TYPES order. */
export function subscribedEventTypes(db: D1Database, tenantId: string, now = Date.now()): Promise<EventType[]> {
  const hit = subscriptions.get(tenantId);
  if (hit && hit.until > now) return hit.types;
  const types = readSubscribedTypes(db, tenantId);
  setBounded(subscriptions, tenantId, { types, until: now + SUBSCRIPTIONS_TTL_MS }, SUBSCRIPTIONS_MAX_TENANTS);
  // A failed read is not remembered: the next call asks D1 again.
  types.catch(() => {
    if (subscriptions.get(tenantId)?.types === types) subscriptions.delete(tenantId);
  });
  return types;
}

/** Drops the isolate's cached subscriptions of a tenant (its endpoints changed). */
export function forgetSubscriptions(tenantId: string): void {
  subscriptions.delete(tenantId);
}

async function readSubscribedTypes(db: D1Database, tenantId: string): Promise<EventType[]> {
  const { results } = await db
    .prepare(
      `SELECT DISTINCT j.value AS type FROM webhook_endpoints e, json_each(e.events_json) j
       WHERE e.tenant_id = ? AND e.enabled = 1`,
    )
    .bind(tenantId)
    .all<{ type: string }>();
  const found = new Set(results.map((r) => r.type));
  return EVENT_TYPES.filter((t) => found.has(t));
}
