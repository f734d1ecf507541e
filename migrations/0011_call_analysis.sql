-- Post-call analysis of an agent's call (docs/events.md: call.analyzed): {"summary"?, "data"?,
-- "success"?, "error"?, "analyzedAt"}, kept with the call in the warm tier as in the hot one
-- (GET /api/v1/calls/{id} shows it as `analysis`). NULL: no analysis was asked for, or none yet.
ALTER TABLE calls ADD COLUMN analysis_json TEXT;
