/**
 * Stand-in for ./espeak-tts in builds that leave the embedded eSpeak NG engine out (about 0.8 MB
 * gzipped). Point the import at this file with a Wrangler alias, in wrangler.toml:
 *
 *   [alias]
 *   "./local/espeak-tts" = "./src/providers/local/espeak-tts.disabled.ts"
 *
 * The key is the specifier exactly as src/providers/registry.ts writes it. The "local" TTS
 * provider then still exists but fails every request, so the pipeline moves on to the next
 * configured provider (or degrades to a text-only reply).
 */
import type { PcmSpeech, TextToSpeech, TtsEncoding, TtsRequest } from "../types";

export class LocalSpeechSynthesizer implements TextToSpeech {
  readonly name = "local";
  readonly region = "edge";
  readonly encodings: readonly TtsEncoding[] = ["pcm"];

  constructor(_options: Record<string, unknown> = {}) {}

  synthesize(_req: TtsRequest, _signal?: AbortSignal): Promise<PcmSpeech> {
    return Promise.reject(new Error("the embedded eSpeak NG engine is not included in this build"));
  }
}
