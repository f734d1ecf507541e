-- The audit log without AUTOINCREMENT. D1 bills every row written, index entries included, and an
-- AUTOINCREMENT table also rewrites its sqlite_sequence row on every insert: an audit row cost 3
-- rows written (the row, its audit_by_tenant_at entry, the sequence), now 2. Ids still only grow:
-- a plain INTEGER PRIMARY KEY takes the largest id + 1, and nothing deletes audit rows (the log is
-- append-only), so no id is handed out twice. Existing rows keep their ids.
CREATE TABLE audit_log_v2 (
  id          INTEGER PRIMARY KEY,
  at          TEXT NOT NULL,
  actor       TEXT NOT NULL,          -- key id, or 'operator' for ADMIN_TOKEN
  tenant_id   TEXT,
  action      TEXT NOT NULL,
  target      TEXT,
  request_id  TEXT,
  result      TEXT NOT NULL,
  uses_json   TEXT                    -- a call's sync: every use it lists (0005_aggregate_rows.sql)
);
INSERT INTO audit_log_v2 (id, at, actor, tenant_id, action, target, request_id, result, uses_json)
  SELECT id, at, actor, tenant_id, action, target, request_id, result, uses_json FROM audit_log;
DROP TABLE audit_log;
ALTER TABLE audit_log_v2 RENAME TO audit_log;
CREATE INDEX audit_by_tenant_at ON audit_log (tenant_id, at);
