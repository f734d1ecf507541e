-- Agents (src/storage/agent-store.ts): a tenant's LLM agents, as data, versioned. One head row per
-- agent and one row per version. Every PUT raises the head row's `version` and copies it into a new
-- agent_versions row in the same D1 batch (one transaction), so concurrent PUTs get distinct
-- versions; the primary key of agent_versions refuses a duplicate should anything else write one.
-- A call copies the version it starts with into its own object, so nothing here is read mid-call.
CREATE TABLE IF NOT EXISTS agents (
  tenant_id   TEXT NOT NULL,
  agent_id    TEXT NOT NULL,
  version     INTEGER NOT NULL,      -- the current (latest) version; kept across a DELETE, so a PUT
                                     -- after one continues the numbering and no version id is reused
  created_at  TEXT NOT NULL,         -- when the agent was created (again, after a DELETE)
  updated_at  TEXT NOT NULL,         -- when its current version was created
  deleted_at  TEXT,                  -- DELETE: new calls naming it get 404; its versions are kept
  -- The webhook signing secret (whsec_...), AES-256-GCM under the ARCHIVE_KEYS keyring
  -- (src/storage/encryption.ts), bound to the tenant and agent id, base64: whoever reads D1 (a
  -- backup, an export) cannot forge the agent's webhook calls. secret_kid names the key, so an
  -- operator can see which keys secrets still use before retiring one (rotate-secret re-encrypts).
  secret_enc  TEXT NOT NULL,
  secret_kid  TEXT NOT NULL,
  PRIMARY KEY (tenant_id, agent_id)
);

CREATE TABLE IF NOT EXISTS agent_versions (
  tenant_id        TEXT NOT NULL,
  agent_id         TEXT NOT NULL,
  version          INTEGER NOT NULL,
  definition_json  TEXT NOT NULL,    -- as validated by src/agents/definition.ts (defaults applied)
  created_at       TEXT NOT NULL,
  PRIMARY KEY (tenant_id, agent_id, version)
);

-- Which agent version a call was started with, for reads from the warm tier once the call's object is gone.
ALTER TABLE calls ADD COLUMN agent_id TEXT;
ALTER TABLE calls ADD COLUMN agent_version INTEGER;
