import type { AgentDefinition, PinnedAgent } from "../call/agent";
import { newWebhookSecret } from "../security/webhook-signature";
import type { ArchiveKeysEnv } from "./encryption";
import { openSecret, sealSecret } from "./sealed-secret";

/**
 * A tenant's agents in D1 (migrations/0008_agents.sql): a head row per agent, a row per version.
 * Every query names the tenant, so one tenant's agent id never finds another's agent.
 *
 * The webhook secret is encrypted with the archive keyring (ARCHIVE_KEYS, as R2 objects are),
 * with the tenant and agent id as associated data: a ciphertext copied to another agent's row
 * does not decrypt. It is decrypted only to pin it into a new call (currentAgent); reads for the
 * API (readAgent, listAgents) never select it.
 */

export interface AgentStoreEnv extends ArchiveKeysEnv {
  readonly DB: D1Database;
}

/** An agent as GET shows it: its current version, never its secret. */
export interface StoredAgent {
  agentId: string;
  version: number;
  /** When the agent was created (again, if it was deleted before). */
  createdAt: string;
  /** When its current version was created. */
  updatedAt: string;
  definition: AgentDefinition;
}

export interface AgentSummary {
  agentId: string;
  name: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface PutResult {
  version: number;
  createdAt: string;
  /** Only when this PUT created the agent (or re-created a deleted one): shown this once. */
  webhookSecret?: string;
}

/** What the secret's ciphertext is bound to (AES-GCM associated data). */
const secretAad = (tenantId: string, agentId: string) => `agents/${tenantId}/${agentId}/webhook-secret`;

function sealAgentSecret(env: AgentStoreEnv, tenantId: string, agentId: string, secret: string) {
  return sealSecret(env, secretAad(tenantId, agentId), secret);
}

function openAgentSecret(env: AgentStoreEnv, tenantId: string, agentId: string, enc: string): Promise<string> {
  // The archive wording would mislead here; the cause (a key ARCHIVE_KEYS lacks...) goes to the log.
  return openSecret(env, secretAad(tenantId, agentId), enc, {
    code: "agent_secret_unavailable",
    detail:
      `Agent '${agentId}' cannot be used: its webhook secret cannot be decrypted with this deployment's ` +
      "ARCHIVE_KEYS. An operator must restore the key, or rotate the agent's secret.",
  });
}

/**
 * Stores `definition` as the agent's next version (1 for a new agent), in one D1 batch: the head
 * row's version goes up by one and the version row copies it, so concurrent PUTs never share a
 * version. A new agent (or one deleted before) gets a new secret, returned this once.
 */
export async function putAgentVersion(
  env: AgentStoreEnv,
  tenantId: string,
  agentId: string,
  definition: AgentDefinition,
): Promise<PutResult> {
  const now = new Date().toISOString();
  const secret = newWebhookSecret();
  const sealed = await sealAgentSecret(env, tenantId, agentId, secret);
  const [head] = await env.DB.batch([
    // SQLite evaluates every SET expression against the row as it was: `agents.deleted_at` is the old one.
    env.DB.prepare(
      `INSERT INTO agents (tenant_id, agent_id, version, created_at, updated_at, deleted_at, secret_enc, secret_kid)
       VALUES (?1, ?2, 1, ?3, ?3, NULL, ?4, ?5)
       ON CONFLICT (tenant_id, agent_id) DO UPDATE SET
         version = agents.version + 1,
         updated_at = excluded.updated_at,
         created_at = CASE WHEN agents.deleted_at IS NULL THEN agents.created_at ELSE excluded.created_at END,
         secret_enc = CASE WHEN agents.deleted_at IS NULL THEN agents.secret_enc ELSE excluded.secret_enc END,
         secret_kid = CASE WHEN agents.deleted_at IS NULL THEN agents.secret_kid ELSE excluded.secret_kid END,
         deleted_at = NULL
       RETURNING version, secret_enc`,
    ).bind(tenantId, agentId, now, sealed.enc, sealed.kid),
    env.DB.prepare(
      `INSERT INTO agent_versions (tenant_id, agent_id, version, definition_json, created_at)
       SELECT tenant_id, agent_id, version, ?3, ?4 FROM agents WHERE tenant_id = ?1 AND agent_id = ?2`,
    ).bind(tenantId, agentId, JSON.stringify(definition), now),
  ]);
  const row = (head?.results as { version: number; secret_enc: string }[] | undefined)?.[0];
  if (!row) throw new Error("agent upsert returned no row");
  // The ciphertext is random: the row holds ours only if this PUT created the agent.
  const created = row.secret_enc === sealed.enc;
  return { version: row.version, createdAt: now, ...(created ? { webhookSecret: secret } : {}) };
}

interface CurrentRow {
  agent_id: string;
  version: number;
  created_at: string;
  updated_at: string;
  definition_json: string;
  secret_enc?: string;
}

/** The agent's current version (`extra`: more columns of the head row). */
const current = (extra = "") => `SELECT a.agent_id, a.version, a.created_at, a.updated_at, v.definition_json${extra}
  FROM agents a JOIN agent_versions v
    ON v.tenant_id = a.tenant_id AND v.agent_id = a.agent_id AND v.version = a.version
  WHERE a.tenant_id = ? AND a.agent_id = ? AND a.deleted_at IS NULL`;

/** The agent's current version for GET, or null (none, deleted, or another tenant's). Never the secret. */
export async function readAgent(db: D1Database, tenantId: string, agentId: string): Promise<StoredAgent | null> {
  const row = await db.prepare(current()).bind(tenantId, agentId).first<CurrentRow>();
  if (!row) return null;
  return {
    agentId: row.agent_id,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    definition: JSON.parse(row.definition_json) as AgentDefinition,
  };
}

/** The agent's current version with its secret, for a call to pin; null when it is absent or deleted. */
export async function currentAgent(env: AgentStoreEnv, tenantId: string, agentId: string): Promise<PinnedAgent | null> {
  const row = await env.DB.prepare(current(", a.secret_enc")).bind(tenantId, agentId).first<CurrentRow>();
  if (!row?.secret_enc) return null;
  return {
    agentId: row.agent_id,
    version: row.version,
    definition: JSON.parse(row.definition_json) as AgentDefinition,
    webhookSecret: await openAgentSecret(env, tenantId, agentId, row.secret_enc),
  };
}

/** The tenant's agents (not deleted), by id, keyset-paginated after `after`. */
export async function listAgents(
  db: D1Database,
  tenantId: string,
  page: { limit: number; after?: string | undefined },
): Promise<AgentSummary[]> {
  const { results } = await db
    .prepare(
      `SELECT a.agent_id, a.version, a.created_at, a.updated_at, json_extract(v.definition_json, '$.name') AS name
       FROM agents a JOIN agent_versions v
         ON v.tenant_id = a.tenant_id AND v.agent_id = a.agent_id AND v.version = a.version
       WHERE a.tenant_id = ? AND a.deleted_at IS NULL AND a.agent_id > ?
       ORDER BY a.agent_id LIMIT ?`,
    )
    .bind(tenantId, page.after ?? "", page.limit)
    .all<{ agent_id: string; version: number; created_at: string; updated_at: string; name: string | null }>();
  return results.map((r) => ({
    agentId: r.agent_id,
    name: typeof r.name === "string" ? r.name : null,
    version: r.version,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }));
}

/**
 * Marks the agent deleted: new calls naming it get 404, running calls keep the version they
 * pinned. Its versions stay (a later PUT continues their numbering). False when there was none.
 */
export async function deleteAgent(db: D1Database, tenantId: string, agentId: string): Promise<boolean> {
  const res = await db
    .prepare("UPDATE agents SET deleted_at = ? WHERE tenant_id = ? AND agent_id = ? AND deleted_at IS NULL")
    .bind(new Date().toISOString(), tenantId, agentId)
    .run();
  return res.meta.changes > 0;
}

/**
 * A new secret for the agent (under the current archive key), returned this once; null when there
 * is no such agent. Calls already running keep signing with the secret they started with.
 */
export async function rotateSecret(env: AgentStoreEnv, tenantId: string, agentId: string): Promise<string | null> {
  const secret = newWebhookSecret();
  const sealed = await sealAgentSecret(env, tenantId, agentId, secret);
  const res = await env.DB.prepare(
    "UPDATE agents SET secret_enc = ?, secret_kid = ? WHERE tenant_id = ? AND agent_id = ? AND deleted_at IS NULL",
  )
    .bind(sealed.enc, sealed.kid, tenantId, agentId)
    .run();
  return res.meta.changes > 0 ? secret : null;
}
