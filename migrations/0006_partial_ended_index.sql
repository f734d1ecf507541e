-- The retention job finds ended calls by end time. A full (status, ended_at) index is rewritten
-- when a call is created and again when it ends (D1 bills each index entry written as a row); a
-- partial index over ended calls only is written once, when the call ends.
DROP INDEX IF EXISTS calls_by_ended;
CREATE INDEX IF NOT EXISTS calls_ended_at ON calls (ended_at) WHERE status = 'ended';
