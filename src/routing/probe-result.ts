import type { ProviderErrorKind } from "../call/attempts";

/**
 * What one active probe of a provider-region found: src/routing/probe.ts runs the probes,
 * probe-store.ts keeps their results.
 */
export type ProbeKind = "stt" | "tts";
/**
 * Why a probe failed: a provider error's kind (src/providers/errors.ts), or "timeout" (no answer
 * within PROBE_TIMEOUT_MS), "audio" (the engine refused the probe clip), "settings" (the engine
 * could not be built from its settings), "error" (anything else: a bug on our side).
 */
export type ProbeErrorKind = ProviderErrorKind | "timeout" | "audio" | "settings" | "error";

export interface ProbeResult {
  provider: string;
  region: string;
  kind: ProbeKind;
  ok: boolean;
  status?: number;
  errorKind?: ProbeErrorKind;
  /** A public message (ProviderError/ApiError/AudioError), truncated; never a credential. */
  error?: string;
  /** Absent when no request went out (a settings problem). */
  latencyMs?: number;
  probedAt: string;
}
