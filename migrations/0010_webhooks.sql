-- Events to customers' backends (docs/events.md, src/events/). A tenant's endpoints, the events
-- its calls produced, and one delivery row per (endpoint, event) recording every attempt's outcome.
CREATE TABLE IF NOT EXISTS webhook_endpoints (
  tenant_id    TEXT NOT NULL,
  endpoint_id  TEXT NOT NULL,
  url          TEXT NOT NULL,
  events_json  TEXT NOT NULL,          -- JSON array of event types, e.g. ["call.started","call.ended"]
  enabled      INTEGER NOT NULL DEFAULT 1,
  -- The signing secret (whsec_...), AES-256-GCM under the ARCHIVE_KEYS keyring, bound to the tenant
  -- and endpoint id, base64 (as agents' secrets: migrations/0008_agents.sql); secret_kid names the key.
  secret_enc   TEXT NOT NULL,
  secret_kid   TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL,
  PRIMARY KEY (tenant_id, endpoint_id)
);

-- Each event once (the queue delivers at least once: INSERT OR IGNORE), with its body as sent.
-- An event id is unique within its tenant (evt_<callId>_<call start>_<sequence>, src/pipeline/events.ts).
--
-- D1 bills every row written, an index entry included, and these tables take a write or two for
-- every event of every call (npm run bench:cost, "Events to your backend"): so they are WITHOUT
-- ROWID (the primary key is the table: no second copy of the key), and they carry only the
-- indexes a write needs or a listing cannot do without. A delivery's status is not indexed: an
-- attempt then rewrites one row, and a listing filtered by status walks the endpoint's deliveries
-- newest first and skips the others (reads cost a thousandth of a write).
CREATE TABLE IF NOT EXISTS webhook_events (
  tenant_id    TEXT NOT NULL,
  event_id     TEXT NOT NULL,
  call_id      TEXT NOT NULL,
  type         TEXT NOT NULL,
  sequence     INTEGER NOT NULL,
  created_at   TEXT NOT NULL,
  body_json    TEXT NOT NULL,
  PRIMARY KEY (tenant_id, event_id)
) WITHOUT ROWID;
-- A call's events (erasure); events by age (retention).
CREATE INDEX IF NOT EXISTS webhook_events_by_call ON webhook_events (tenant_id, call_id, sequence);
CREATE INDEX IF NOT EXISTS webhook_events_by_age ON webhook_events (created_at);

CREATE TABLE IF NOT EXISTS webhook_deliveries (
  tenant_id         TEXT NOT NULL,
  event_id          TEXT NOT NULL,
  endpoint_id       TEXT NOT NULL,
  status            TEXT NOT NULL,     -- pending | delivered | failed
  attempts          INTEGER NOT NULL DEFAULT 0,
  last_status       INTEGER,           -- the receiver's HTTP status (null: no answer)
  last_latency_ms   INTEGER,
  last_error        TEXT,
  first_attempt_at  TEXT,
  last_attempt_at   TEXT,
  -- When the next automatic attempt is due (null: none scheduled), and until when failed attempts
  -- are retried: 24 h after the first attempt, or after a retry asked for with POST .../retry.
  next_attempt_at   TEXT,
  retry_until       TEXT,
  delivered_at      TEXT,              -- the first successful attempt (a replay keeps it)
  created_at        TEXT NOT NULL,
  -- Event first: an event's deliveries (the dead-letter consumer, erasure, retention) are a range.
  PRIMARY KEY (tenant_id, event_id, endpoint_id)
) WITHOUT ROWID;
-- GET /webhooks/{id}/deliveries, newest first (with ?status=, filtered while walking it).
CREATE INDEX IF NOT EXISTS webhook_deliveries_by_age ON webhook_deliveries (tenant_id, endpoint_id, created_at, event_id);
