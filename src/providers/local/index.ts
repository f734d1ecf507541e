import { z } from "zod";
import type { ProviderModule } from "../settings";
import { LocalSpeechSynthesizer } from "./espeak-tts";

/** The embedded engine: eSpeak NG for speech; needs no settings and no network. */
export const localModule: ProviderModule<Record<string, never>> = {
  name: "local",
  needs: "nothing (embedded eSpeak NG, English)",
  settings: z.object({}).transform(() => ({})),
  tts: () => new LocalSpeechSynthesizer(),
};
