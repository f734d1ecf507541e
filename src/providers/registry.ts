import { providerList, type Config } from "../config/config";
import { ApiError } from "../lib/errors";
import { assemblyAiModule } from "./assemblyai";
import { azureModule } from "./azure";
import { cartesiaModule } from "./cartesia";
import { deepgramModule } from "./deepgram";
import { elevenLabsModule } from "./elevenlabs";
import { googleModule } from "./google";
import { localModule } from "./local";
import { openaiModule } from "./openai";
import { pollyModule } from "./polly";
import { workersAiModule } from "./workers-ai";
import { readSettings, type ProviderModule } from "./settings";
import type { StreamingSpeechToText, StreamingTextToSpeech } from "./streaming";
import type { SpeechToText, TextToSpeech } from "./types";

/**
 * Every provider adapter this build knows. STT_PROVIDERS and TTS_PROVIDERS pick from these, in
 * preference order; the hints in 503/415 problems are generated from this table so they never
 * name a setting that does not exist.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const PROVIDER_MODULES: readonly ProviderModule<any>[] = [
  localModule,
  googleModule,
  azureModule,
  deepgramModule,
  openaiModule,
  workersAiModule,
  pollyModule,
  assemblyAiModule,
  elevenLabsModule,
  cartesiaModule,
];

function moduleNamed(name: string): ProviderModule<unknown> | undefined {
  return PROVIDER_MODULES.find((m) => m.name === name);
}

export function sttSetupHint(): string {
  const names = PROVIDER_MODULES.filter((m) => m.stt).map((m) => `'${m.name}' (${m.needs})`);
  return `Set STT_PROVIDERS in wrangler.toml [vars] or .dev.vars to one of ${names.join(", ")}.`;
}

/**
 * Parsed provider settings per deployment environment, module and region: every speech request
 * builds its chain, and parsing the same variables with zod each time was measurable CPU. The env
 * object is the deployment's (a changed variable comes with a new one); failures are not kept, so
 * a misconfiguration is reported, with its detail, on every request that needs the provider.
 */
const settingsCache = new WeakMap<object, Map<string, unknown>>();

function settingsFor<S>(module: ProviderModule<S>, env: Env, region?: string): S {
  let perEnv = settingsCache.get(env);
  if (!perEnv) settingsCache.set(env, (perEnv = new Map()));
  const key = `${module.name}\u0000${region ?? ""}`;
  if (perEnv.has(key)) return perEnv.get(key) as S;
  const vars = env as unknown as Record<string, unknown>;
  const settings = readSettings(
    module,
    region === undefined || !module.regions ? env : ({ ...vars, [module.regions.single]: region } as unknown as Env),
  );
  perEnv.set(key, settings);
  return settings;
}

/** What each kind of engine is called in a misconfiguration problem. */
const KIND_NAMES = {
  stt: "speech-to-text",
  tts: "text-to-speech",
  sttStream: "streaming speech-to-text",
} as const;

function build<T>(
  names: string[],
  kind: keyof typeof KIND_NAMES,
  env: Env,
  setting: string,
  /** What to make of each built engine instead of the engine itself (it gets the settings it was built from). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  pair?: (built: any, module: ProviderModule<any>, settings: unknown) => T,
): T[] {
  return names.flatMap((name) => {
    const module = moduleNamed(name);
    const make = module?.[kind];
    if (!module || !make) {
      const known = PROVIDER_MODULES.filter((m) => m[kind])
        .map((m) => m.name)
        .join(", ");
      throw new ApiError(
        503,
        "provider_misconfigured",
        `${setting} names '${name}', which is not a ` + `${KIND_NAMES[kind]} provider; known: ${known || "none"}.`,
      );
    }
    // One engine per listed region, each validated exactly as the single-region setting would be.
    const vars = env as unknown as Record<string, unknown>;
    const listed = module.regions ? providerList(String(vars[module.regions.list] ?? "")) : [];
    const create = (settings: unknown) => {
      const built = make(settings, env);
      return pair ? pair(built, module, settings) : (built as T);
    };
    if (!module.regions || listed.length === 0) return [create(settingsFor(module, env))];
    return listed.map((region) => create(settingsFor(module, env, region)));
  });
}

/**
 * The configured chains, in preference order, each built only when needed: a misconfigured STT
 * provider must not stop keypad, text or TTS work, and the reverse.
 */
export function sttChain(env: Env, config: Config): SpeechToText[] {
  return build<SpeechToText>(providerList(config.STT_PROVIDERS), "stt", env, "STT_PROVIDERS");
}

export function ttsChain(env: Env, config: Config): TextToSpeech[] {
  return build<TextToSpeech>(providerList(config.TTS_PROVIDERS), "tts", env, "TTS_PROVIDERS");
}

/** A TTS engine of TTS_PROVIDERS and, when its module streams, its streaming counterpart. */
export interface TtsEnginePair {
  readonly name: string;
  readonly region: string;
  readonly tts: TextToSpeech;
  readonly stream: StreamingTextToSpeech | undefined;
}

/**
 * ttsChain with each engine's streaming counterpart, built from the very same settings (so the same
 * region, voice and credentials): the two share a name and region, hence one breaker and one place
 * in the caller's order, and a rendering cached by either serves both. TTS_STREAMING=off: none streams.
 */
export function ttsChainWithStreams(env: Env, config: Config): TtsEnginePair[] {
  const names = providerList(config.TTS_PROVIDERS);
  return build<TtsEnginePair>(names, "tts", env, "TTS_PROVIDERS", (tts: TextToSpeech, module, settings) => {
    const stream: StreamingTextToSpeech | undefined =
      config.TTS_STREAMING === "on" ? module.ttsStream?.(settings, env) : undefined;
    return { name: tts.name, region: tts.region, tts, stream };
  });
}

/**
 * The streaming recognisers of STT_STREAMING_PROVIDERS, in preference order; empty (the default)
 * means streaming recognition is off and audio goes to the batch chain as before.
 */
export function sttStreamChain(env: Env, config: Config): StreamingSpeechToText[] {
  return build<StreamingSpeechToText>(
    providerList(config.STT_STREAMING_PROVIDERS),
    "sttStream",
    env,
    "STT_STREAMING_PROVIDERS",
  );
}

/**
 * Narrows a chain to the provider a request pinned with `provider=`. A name that is not in the
 * configured chain is a 400: a request never reaches a provider the deployer did not configure.
 */
export function pinProvider<T extends { name: string }>(chain: T[], pinned: string | undefined, kind: string): T[] {
  if (!pinned) return chain;
  const hit = chain.filter((p) => p.name === pinned);
  if (!hit.length) {
    throw new ApiError(
      400,
      "unknown_provider",
      `Provider '${pinned}' is not configured for ${kind}; configured: ` +
        `${chain.map((p) => p.name).join(", ") || "none"}.`,
    );
  }
  return hit;
}
