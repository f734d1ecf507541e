// SPDX-License-Identifier: Apache-2.0
import { z } from "zod";
import type { ProviderModule } from "../settings";
// The eSpeak-free build swaps this specifier, exactly as written, for ./espeak-tts.disabled.ts.
import { LocalSpeechSynthesizer } from "./espeak-tts";

/** The embedded engine: eSpeak NG for speech; needs no settings and no network. */
export const localModule: ProviderModule<Record<string, never>> = {
  name: "local",
  needs: "nothing (embedded eSpeak NG, English)",
  settings: z.object({}).transform(() => ({})),
  tts: () => new LocalSpeechSynthesizer(),
};
