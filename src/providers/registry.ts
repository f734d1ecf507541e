import { providerList, type Config } from "../config";
import { ConfigError } from "../config";
import { LocalSpeechSynthesizer } from "./local/espeak-tts";
import type { SpeechToText, TextToSpeech } from "./types";

/**
 * Speech-to-text adapters this build knows, with the settings each needs; the 503/415 problem
 * details are generated from this table so they never name a setting that does not exist.
 */
const KNOWN_STT: Record<string, { settings: string; make: (env: Env) => SpeechToText }> = {};

export function sttSetupHint(): string {
  const names = Object.entries(KNOWN_STT).map(([name, p]) => `'${name}' (${p.settings})`);
  return names.length
    ? `Set STT_PROVIDERS in wrangler.toml [vars] or .dev.vars to one of ${names.join(", ")}.`
    : "Set STT_PROVIDERS in wrangler.toml [vars] or .dev.vars to a cloud speech-to-text adapter; this build ships none yet (see the README's provider roadmap).";
}
const KNOWN_TTS: Record<string, { settings: string; make: (env: Env) => TextToSpeech }> = {
  local: { settings: "none: embedded eSpeak NG", make: () => new LocalSpeechSynthesizer() },
};

export interface Providers {
  stt: SpeechToText[];
  tts: TextToSpeech[];
}

/** Builds the configured provider chains, in preference order. Unknown names are a config error. */
export function buildProviders(env: Env, config: Config): Providers {
  const pick = <T>(names: string[], known: Record<string, { make: (env: Env) => T }>, kind: string): T[] =>
    names.map((name) => {
      const make = known[name]?.make;
      if (!make) {
        throw new ConfigError(
          `${kind} provider '${name}' is not available; known: ${Object.keys(known).join(", ") || "none yet"}`,
        );
      }
      return make(env);
    });
  return {
    stt: pick(providerList(config.STT_PROVIDERS), KNOWN_STT, "STT_PROVIDERS"),
    tts: pick(providerList(config.TTS_PROVIDERS), KNOWN_TTS, "TTS_PROVIDERS"),
  };
}
