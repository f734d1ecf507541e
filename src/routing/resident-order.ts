import type { CallerPosition } from "../call/caller";
import type { Residency } from "../call/residency";
import type { Config } from "../config/config";
import { ApiError } from "../lib/errors";
import { sttChain, ttsChain, ttsChainWithStreams, type TtsEnginePair } from "../providers/registry";
import type { SpeechToText, TextToSpeech } from "../providers/types";
import { orderForCaller } from "./order";
import { regionCatalog, type RegionInfo } from "./regions";

/** Settings that give each provider an EU region, for the hint when none is configured. */
const EU_SETTINGS =
  "AZURE_SPEECH_REGIONS=westeurope, GOOGLE_LOCATION=eu, DEEPGRAM_REGION=eu or POLLY_REGIONS=eu-central-1";

/**
 * The provider chain for one request, ordered for the caller and confined to the residency's zone.
 * Residency is a hard rule: when no configured provider-region is in the zone, the request fails
 * with a clear 503 naming what to configure, rather than sending a resident's speech elsewhere.
 * (Regions in the zone whose breakers are open stay in the chain; the resilience layer skips them
 * and answers 503 with Retry-After, still without leaving the zone.)
 */
export function orderWithinResidency<T extends { name: string; region: string }>(
  chain: readonly T[],
  caller: CallerPosition,
  residency: Residency | null | undefined,
  kind: "speech-to-text" | "text-to-speech",
  catalog: readonly RegionInfo[],
): T[] {
  const ordered = orderForCaller(chain, caller, { residency, catalog });
  if (residency && ordered.length === 0 && chain.length > 0) {
    const configured = chain.map((p) => `${p.name}@${p.region}`).join(", ");
    throw new ApiError(
      503,
      "residency_unavailable",
      `This ${residency.toUpperCase()}-resident request may only use ${residency.toUpperCase()} provider ` +
        `regions, and none of the configured ${kind} providers ` +
        `(${configured}) has one. Configure one, e.g. ${EU_SETTINGS}.`,
    );
  }
  return ordered;
}

/** Who a request serves: where the caller is, and the residency its data keeps to. */
export interface ServedCaller {
  caller?: CallerPosition | undefined;
  residency?: Residency | null | undefined;
}

/** `chain` ordered for the caller within the residency's zone, with the deployment's region catalog. */
export function orderedFor<T extends { name: string; region: string }>(
  chain: readonly T[],
  kind: "speech-to-text" | "text-to-speech",
  config: Config,
  who: ServedCaller,
): T[] {
  return orderWithinResidency(chain, who.caller ?? {}, who.residency, kind, regionCatalog(config));
}

/**
 * The configured speech-to-text engines (STT_PROVIDERS), ordered for one request. Built per use:
 * cheap, and changed settings (rotated secrets, reordered providers) apply at once.
 */
export function sttEnginesFor(env: Env, config: Config, who: ServedCaller): SpeechToText[] {
  return orderedFor(sttChain(env, config), "speech-to-text", config, who);
}

/** The configured text-to-speech engines (TTS_PROVIDERS), ordered for one request. */
export function ttsEnginesFor(env: Env, config: Config, who: ServedCaller): TextToSpeech[] {
  return orderedFor(ttsChain(env, config), "text-to-speech", config, who);
}

/**
 * The engines of ttsEnginesFor, in its order, each with its streaming counterpart when its module
 * has one (a live reply's sentences stream from those, stages/speak-stream.ts).
 */
export function ttsEnginePairsFor(env: Env, config: Config, who: ServedCaller): TtsEnginePair[] {
  return orderedFor(ttsChainWithStreams(env, config), "text-to-speech", config, who);
}
