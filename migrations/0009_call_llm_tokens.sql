-- Model tokens an agent's call used ({"input": n, "output": n}), kept with the call in the warm tier
-- as in the hot one (GET /api/v1/calls/{id} shows them as llmTokens). NULL: no agent model was used.
ALTER TABLE calls ADD COLUMN llm_tokens_json TEXT;
