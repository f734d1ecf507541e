// SPDX-License-Identifier: Apache-2.0
/**
 * Stand-in for ./espeak-tts in Workers built without the embedded eSpeak NG engine (GPL-3.0, about
 * 780 KiB gzipped): `npm run deploy:cloud-tts`, which runs
 *
 *   wrangler deploy --alias ./espeak-tts:./src/providers/local/espeak-tts.disabled.ts
 *
 * Wrangler matches an alias key against an import specifier exactly as written: "./espeak-tts" is
 * how ./index.ts, the one module of the Worker that imports the engine, writes it. The target is
 * resolved from the project root. It is a command-line flag because an [alias] table would apply to
 * every build (`npm run dev` too), and Wrangler reads `alias` only at the top level of its config,
 * silently ignoring it inside [env.X]. `npm run check:cloud-tts-build` builds both Workers and
 * fails if any eSpeak code or data is left in this one (docs/licensing.md).
 *
 * It imports nothing from the engine, so no GPL code reaches that bundle, and is Apache-2.0.
 * The "local" TTS provider still exists but every synthesis fails with a plain Error, which the
 * pipeline counts as the engine failing and fails over to the next provider in TTS_PROVIDERS, or
 * replies with text only when none is left.
 */
import type { PcmSpeech, TextToSpeech, TtsEncoding, TtsRequest } from "../types";

export class LocalSpeechSynthesizer implements TextToSpeech {
  readonly name = "local";
  readonly region = "edge";
  readonly encodings: readonly TtsEncoding[] = ["pcm"];

  constructor(_options: Record<string, unknown> = {}) {}

  synthesize(_req: TtsRequest, _signal?: AbortSignal): Promise<PcmSpeech> {
    return Promise.reject(
      new Error(
        "the embedded eSpeak NG engine is not included in this build (npm run deploy:cloud-tts); " +
          "list cloud providers in TTS_PROVIDERS",
      ),
    );
  }
}
