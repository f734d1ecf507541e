CREATE TABLE IF NOT EXISTS calls (tenant_id TEXT NOT NULL, call_id TEXT NOT NULL, PRIMARY KEY (tenant_id, call_id));
