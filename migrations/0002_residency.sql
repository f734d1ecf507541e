-- Data residency. A tenant's residency is fixed when its first API key is created (its calls are
-- found by it afterwards, so it can never change); a single call may also ask for EU residency,
-- and then the call directory below remembers where that call lives.

CREATE TABLE IF NOT EXISTS tenants (
  tenant_id  TEXT PRIMARY KEY,
  residency  TEXT CHECK (residency IS NULL OR residency IN ('eu')),
  created_at TEXT NOT NULL
);

-- Calls that live in a jurisdiction their tenant does not imply. Ids only: no personal data.
CREATE TABLE IF NOT EXISTS call_residency (
  tenant_id  TEXT NOT NULL,
  call_id    TEXT NOT NULL,
  residency  TEXT NOT NULL CHECK (residency IN ('eu')),
  created_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, call_id)
);

-- Which R2 bucket holds the archived call (NULL: the default bucket), for retention and reads.
ALTER TABLE calls ADD COLUMN residency TEXT;
