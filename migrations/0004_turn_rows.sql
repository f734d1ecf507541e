-- One warm-tier row per turn: the caller's entry and the reply it got share a row (reply_text,
-- reply_at), halving the rows written when a call is archived. Rows written before this migration
-- (one per entry, reply_text NULL) are read as they are.
ALTER TABLE turns ADD COLUMN reply_text TEXT;
ALTER TABLE turns ADD COLUMN reply_at TEXT;
