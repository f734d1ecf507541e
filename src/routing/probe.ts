/**
 * Active probing (PROVIDER_PROBES = tts | all), run by the 5-minute cron: every configured
 * provider-region is called once with a tiny request, and the latest result per provider-region and
 * kind is written to D1 (provider_probes). Breakers and latency are learned per isolate from real
 * traffic; D1 is how a probe result reaches every isolate (GET /api/v1/providers, /readyz).
 *
 * Probing calls paid APIs, so it is off by default. "tts" synthesizes two words with each
 * text-to-speech engine; "all" also sends each speech-to-text engine a short clip of real speech,
 * made at probe time by the embedded eSpeak engine (workerd has no files to read one from). Engines
 * are called directly, never through the turn pipeline, so the keypad and silence shortcuts there
 * cannot answer instead of the provider. The embedded `local` engine has no network and is not probed.
 *
 * The results also feed this isolate's health registry (breaker and latency EWMA), as real calls
 * would: useful when the cron's isolate also serves requests, and shared with no other isolate.
 */
import { AudioError } from "../audio/errors";
import { getConfig, providerList, type Config } from "../config/config";
import { asApiError, errorMessage } from "../lib/errors";
import { ProviderError } from "../providers/errors";
import { localModule } from "../providers/local";
import { PROVIDER_MODULES, sttChain, ttsChain } from "../providers/registry";
import type { SpeechToText, TextToSpeech } from "../providers/types";
import { getHealth } from "./health-registry";
import { PROBE_TEXT, probeClip, type ProbeClip } from "./probe-clip";
import { storeResults } from "./probe-store";
import type { ProbeErrorKind, ProbeKind, ProbeResult } from "./probe-result";
import { log } from "../observability/log";
import { start, untilAborted } from "../lib/abortable";

/** The cron expression (wrangler.toml [triggers]) that runs probes; the daily one runs retention. */
export const PROBE_CRON = "*/5 * * * *";
export const PROBE_MODES = ["off", "tts", "all"] as const;
export type ProbeMode = (typeof PROBE_MODES)[number];
/** One probe's budget: a healthy provider answers two words or a second of audio well within it. */
export const PROBE_TIMEOUT_MS = 5000;
/** Probes in flight at once: enough to finish a long chain quickly, few enough not to look like a burst. */
export const PROBE_CONCURRENCY = 4;
const ERROR_CHARS = 200;

export interface ProbeRun {
  mode: ProbeMode;
  probed: number;
  failed: number;
  ms: number;
  results: ProbeResult[];
}

export interface ProbeOptions {
  timeoutMs?: number;
  concurrency?: number;
}

/** A provider-region to probe: its engine, or why the engine could not be built. */
type Target =
  | { kind: "stt"; provider: string; region: string; engine: SpeechToText }
  | { kind: "tts"; provider: string; region: string; engine: TextToSpeech }
  | { kind: ProbeKind; provider: string; region: string; failure: { errorKind: ProbeErrorKind; error: string } };

/** The cron's entry point: probes every configured provider-region once and stores the results. */
export async function runProbes(env: Env, now: Date, options: ProbeOptions = {}): Promise<ProbeRun> {
  const config = getConfig(env);
  const mode = config.PROVIDER_PROBES;
  if (mode === "off") return { mode, probed: 0, failed: 0, ms: 0, results: [] };
  const started = Date.now();
  const probedAt = now.toISOString();
  const timeoutMs = options.timeoutMs ?? PROBE_TIMEOUT_MS;

  let targets = [...buildTargets(env, config, "tts")];
  let sttSkipped: string | undefined;
  let clip: ProbeClip | undefined;
  if (mode === "all") {
    const stt = buildTargets(env, config, "stt");
    if (stt.some((t) => "engine" in t)) {
      try {
        clip = await probeClip(env);
      } catch (err) {
        // A build without the embedded engine has no clip to send: say so rather than blame the providers.
        sttSkipped =
          "no probe clip " +
          `(${err instanceof Error ? err.message.slice(0, ERROR_CHARS) : "the embedded engine failed"})`;
      }
    }
    targets = [...stt.filter((t) => !("engine" in t) || clip), ...targets];
  }

  const results = await inPool(targets, options.concurrency ?? PROBE_CONCURRENCY, (t) =>
    probeOne(t, { clip, config, timeoutMs, probedAt }),
  );
  await storeResults(env.DB, results);

  const failed = results.filter((r) => !r.ok);
  for (const f of failed) {
    log(
      "provider_probe_failed",
      {
        provider: f.provider,
        region: f.region,
        kind: f.kind,
        status: f.status ?? null,
        errorKind: f.errorKind,
        error: f.error,
      },
      "warn",
    );
  }
  const ms = Date.now() - started;
  log("provider_probes", {
    mode,
    probed: results.length,
    failed: failed.length,
    ms,
    ...(sttSkipped ? { sttSkipped } : {}),
  });
  return { mode, probed: results.length, failed: failed.length, ms, results };
}

// ---- what to probe ----------------------------------------------------------------------------

/**
 * One target per configured provider-region of a kind. Each provider, and each region of a
 * multi-region provider, is built on its own, so one bad setting fails only its own probe.
 */
function buildTargets(env: Env, config: Config, kind: ProbeKind): Target[] {
  const names = providerList(kind === "stt" ? config.STT_PROVIDERS : config.TTS_PROVIDERS);
  const vars = env as unknown as Record<string, unknown>;
  const seen = new Set<string>();
  const out: Target[] = [];
  const add = (t: Target) => {
    const key = `${t.provider}@${t.region}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(t);
  };
  for (const name of new Set(names)) {
    // The embedded engine runs in this isolate: there is no network to probe.
    if (name === localModule.name) continue;
    const regions = PROVIDER_MODULES.find((m) => m.name === name)?.regions;
    const listed = regions ? providerList(String(vars[regions.list] ?? "")) : [];
    if (regions && listed.length) {
      listed.forEach((region, i) => {
        const oneRegion = { ...vars, [regions.list]: region } as unknown as Env;
        buildOne(oneRegion, config, kind, name, regionLabel(region, `${regions.list}#${i + 1}`)).forEach(add);
      });
    } else {
      buildOne(
        env,
        config,
        kind,
        name,
        regionLabel(regions ? String(vars[regions.single] ?? "") : "", "default"),
      ).forEach(add);
    }
  }
  return out;
}

function buildOne(env: Env, config: Config, kind: ProbeKind, name: string, region: string): Target[] {
  try {
    if (kind === "stt") {
      return sttChain(env, { ...config, STT_PROVIDERS: name }).map((engine) => ({
        kind,
        provider: engine.name,
        region: engine.region,
        engine,
      }));
    }
    return ttsChain(env, { ...config, TTS_PROVIDERS: name }).map((engine) => ({
      kind,
      provider: engine.name,
      region: engine.region,
      engine,
    }));
  } catch (err) {
    const api = asApiError(err);
    const error = api ? api.detail : `${err instanceof Error ? err.name : "error"} while building the engine`;
    return [
      { kind, provider: name, region, failure: { errorKind: api ? "settings" : "error", error: truncate(error) } },
    ];
  }
}

/** A region as set, when it looks like a region id or host; else where it was set (values may hold secrets). */
function regionLabel(value: string, fallback: string): string {
  const v = value.trim().toLowerCase();
  return /^[a-z0-9][a-z0-9.:-]{0,62}$/.test(v) ? v : fallback;
}

// ---- one probe --------------------------------------------------------------------------------

interface ProbeContext {
  clip: ProbeClip | undefined;
  config: Config;
  timeoutMs: number;
  probedAt: string;
}

async function probeOne(target: Target, ctx: ProbeContext): Promise<ProbeResult> {
  const base = { provider: target.provider, region: target.region, kind: target.kind, probedAt: ctx.probedAt };
  if ("failure" in target) return { ...base, ok: false, ...target.failure };

  const signal = AbortSignal.timeout(ctx.timeoutMs);
  const t0 = Date.now();
  try {
    await untilAborted(
      start<unknown>(() => {
        if (target.kind === "tts") {
          return target.engine.synthesize(
            { text: PROBE_TEXT, language: ctx.config.DEFAULT_LANGUAGE, sampleRate: 16_000, encoding: "pcm" },
            signal,
          );
        }
        const clip = ctx.clip!;
        return target.engine.transcribe(
          { kind: "pcm", samples: clip.samples, sampleRate: clip.sampleRate, language: "en-US" },
          signal,
        );
      }),
      signal,
    );
    const latencyMs = Date.now() - t0;
    feedHealth(target, { ok: true, ms: latencyMs });
    return { ...base, ok: true, latencyMs };
  } catch (err) {
    const latencyMs = Date.now() - t0;
    const failure = classify(err, signal, ctx.timeoutMs);
    feedHealth(target, { ok: false, ms: latencyMs, errorKind: failure.errorKind });
    return { ...base, ok: false, latencyMs, ...failure };
  }
}

/** A failure as kind, status and public message. Our own timeout wins over what the adapter made of the abort. */
function classify(
  err: unknown,
  signal: AbortSignal,
  timeoutMs: number,
): { errorKind: ProbeErrorKind; status?: number; error: string } {
  if (signal.aborted) return { errorKind: "timeout", error: `no answer within ${timeoutMs} ms` };
  if (err instanceof ProviderError) {
    return {
      errorKind: err.kind,
      ...(err.options.status !== undefined ? { status: err.options.status } : {}),
      error: truncate(err.message),
    };
  }
  if (err instanceof AudioError) return { errorKind: "audio", error: truncate(err.message) };
  const api = asApiError(err);
  if (api) return { errorKind: "error", error: truncate(api.detail) };
  // Not a provider's answer: a bug on our side. Its message is for logs, not for the table.
  log("provider_probe_error", { message: errorMessage(err) }, "error");
  return { errorKind: "error", error: `${err instanceof Error ? err.name : "error"} (see the logs)` };
}

/**
 * Tells this isolate's registry what the probe found, with the pipeline's rules (resilient-call.ts):
 * provider faults count against the breaker, refusals of the request do not. An open breaker is
 * left alone (it half-opens on its own time), and so is a half-open one with no trial slot free.
 */
function feedHealth(
  target: { provider: string; region: string },
  outcome: { ok: true; ms: number } | { ok: false; ms: number; errorKind: ProbeErrorKind },
): void {
  const health = getHealth(target.provider, target.region);
  const permitted = health.breaker.tryAcquire();
  if (outcome.ok) {
    if (permitted) health.breaker.onSuccess(outcome.ms);
    health.latency.recordSuccess(outcome.ms);
    return;
  }
  switch (outcome.errorKind) {
    case "timeout":
      if (permitted) health.breaker.onFailure(outcome.ms);
      health.latency.recordFailure(outcome.ms);
      return;
    case "auth":
      if (permitted) health.breaker.onAuthFailure();
      health.latency.recordFailure();
      return;
    case "retryable":
    case "invalid_response":
      if (permitted) health.breaker.onFailure(outcome.ms);
      health.latency.recordFailure();
      return;
    default:
      if (permitted) health.breaker.onIgnored();
  }
}

async function inPool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

function truncate(text: string): string {
  return text.length > ERROR_CHARS ? `${text.slice(0, ERROR_CHARS - 1)}…` : text;
}
