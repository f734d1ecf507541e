-- Active provider probes (PROVIDER_PROBES=tts|all, run by the */5 cron in src/routing/probe.ts): the
-- latest result per provider-region and kind. Breakers and latency are learned per isolate; this
-- table is the one piece of provider health every isolate can read (GET /api/v1/providers, /readyz).
-- Errors are the public messages of provider errors, truncated: never a credential.

CREATE TABLE IF NOT EXISTS provider_probes (
  provider             TEXT NOT NULL,
  region               TEXT NOT NULL,
  kind                 TEXT NOT NULL CHECK (kind IN ('stt', 'tts')),
  ok                   INTEGER NOT NULL CHECK (ok IN (0, 1)),
  status               INTEGER,           -- the provider's HTTP status when it answered with an error
  error_kind           TEXT,              -- retryable | permanent | auth | invalid_response | timeout | audio | settings | error
  error                TEXT,
  latency_ms           REAL,              -- NULL when the probe never reached the provider (settings)
  probed_at            TEXT NOT NULL,
  consecutive_failures INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (provider, region, kind)
);
