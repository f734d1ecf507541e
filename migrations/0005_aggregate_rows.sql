-- Fewer rows written per call (D1 bills each row written, and each index entry it touches):
--
-- * A call's uses of a key are appended to the audit log by the call's object when it syncs (at
--   most once a minute, and when the call ends): one row per key and result, listing every use
--   (its time, request id and action) in uses_json. The API still returns one entry per use.
--   Rows without uses_json are single uses, as before.
-- * An archived call's history is one JSON column of its calls row instead of a turns row per
--   turn. Calls archived before this migration keep their turns rows and are read from them.
ALTER TABLE audit_log ADD COLUMN uses_json TEXT;
ALTER TABLE calls ADD COLUMN history_json TEXT;
