-- Warm tier: recent calls and their turns, tenant API keys, and the audit log.
-- Audio never lands in D1; it lives in the call's Durable Object while hot and in R2 once archived.

CREATE TABLE IF NOT EXISTS calls (
  tenant_id        TEXT NOT NULL,
  call_id          TEXT NOT NULL,
  user_id          TEXT,
  language         TEXT NOT NULL,
  flow             TEXT NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('active', 'ended')),
  end_reason       TEXT,
  created_at       TEXT NOT NULL,
  last_activity_at TEXT NOT NULL,
  ended_at         TEXT,
  turn_count       INTEGER NOT NULL DEFAULT 0,
  context_json     TEXT NOT NULL DEFAULT '{}',
  metadata_json    TEXT NOT NULL DEFAULT '{}',
  archived_at      TEXT,              -- set once R2 holds the cold copy
  PRIMARY KEY (tenant_id, call_id)
);
CREATE INDEX IF NOT EXISTS calls_by_tenant_created ON calls (tenant_id, created_at DESC, call_id DESC);
CREATE INDEX IF NOT EXISTS calls_by_ended ON calls (status, ended_at);

CREATE TABLE IF NOT EXISTS turns (
  tenant_id   TEXT NOT NULL,
  call_id     TEXT NOT NULL,
  seq         INTEGER NOT NULL,
  turn_id     TEXT NOT NULL,
  role        TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
  text        TEXT NOT NULL,
  source      TEXT,
  intent      TEXT,
  confidence  REAL,
  stt_ms      REAL,
  nlp_ms      REAL,
  tts_ms      REAL,
  total_ms    REAL,
  at          TEXT NOT NULL,
  PRIMARY KEY (tenant_id, call_id, seq)
);

CREATE TABLE IF NOT EXISTS api_keys (
  key_id       TEXT PRIMARY KEY,
  tenant_id    TEXT NOT NULL,
  name         TEXT,
  scopes       TEXT NOT NULL,         -- JSON array
  key_hash     TEXT NOT NULL,         -- hex SHA-256 of the whole key; the key itself is never stored
  created_at   TEXT NOT NULL,
  revoked_at   TEXT,
  last_used_at TEXT
);
CREATE INDEX IF NOT EXISTS api_keys_by_tenant ON api_keys (tenant_id);

CREATE TABLE IF NOT EXISTS audit_log (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  at          TEXT NOT NULL,
  actor       TEXT NOT NULL,          -- key id, or 'operator' for ADMIN_TOKEN
  tenant_id   TEXT,
  action      TEXT NOT NULL,
  target      TEXT,
  request_id  TEXT,
  result      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_by_tenant_at ON audit_log (tenant_id, at);
