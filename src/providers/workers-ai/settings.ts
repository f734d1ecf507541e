import { z } from "zod";
import { timeoutSetting } from "../settings";
import {
  DEFAULT_STT_MODEL,
  DEFAULT_TTS_MODEL,
  isSttModel,
  isTtsModel,
  MP3_ONLY_TTS_MODEL,
  STT_MODELS,
  TTS_MODELS,
  TTS_VOICES,
  type SttModel,
  type TtsModel,
} from "./models";

/**
 * What this adapter needs of the `AI` binding: `run(model, inputs, options)`
 * (https://developers.cloudflare.com/workers-ai/configuration/bindings/). Declared narrowly so
 * tests can hand in a recording double.
 */
export interface AiRunner {
  run(model: string, inputs: Record<string, unknown>, options?: { signal?: AbortSignal }): Promise<unknown>;
}

export interface WorkersAiSettings {
  ai: AiRunner;
  sttModel: SttModel;
  ttsModel: TtsModel;
  /** A speaker of ttsModel; undefined means the model's own default. */
  ttsVoice: string | undefined;
  timeoutMs: number;
}

const blankAsUnset = (value: unknown) => (typeof value === "string" && value.trim() === "" ? undefined : value);

const isRunner = (value: unknown): value is AiRunner =>
  typeof value === "object" && value !== null && typeof (value as { run?: unknown }).run === "function";

/**
 * The binding is not declared in wrangler.toml by default: `wrangler dev` would then need a
 * logged-in Cloudflare account even for deployers who never use Workers AI.
 */
export const MISSING_BINDING =
  'add an [ai] binding named AI to wrangler.toml (a line [ai] followed by binding = "AI"); Workers AI is ' +
  "reached through that binding, not an API key, and wrangler dev then needs wrangler login";

export const workersAiSettingsSchema = z
  .object({
    AI: z.custom<AiRunner>(isRunner, MISSING_BINDING),
    WORKERS_AI_STT_MODEL: z.preprocess(
      blankAsUnset,
      z
        .string()
        .trim()
        .default(DEFAULT_STT_MODEL)
        .refine(isSttModel, `must be one of ${STT_MODELS.join(", ")}`),
    ),
    WORKERS_AI_TTS_MODEL: z
      .preprocess(
        blankAsUnset,
        z
          .string()
          .trim()
          .default(DEFAULT_TTS_MODEL)
          .superRefine((v, ctx) => {
            if (v === MP3_ONLY_TTS_MODEL) {
              ctx.addIssue({
                code: "custom",
                message:
                  `${MP3_ONLY_TTS_MODEL} answers MP3 only and every engine must ` +
                  `produce PCM; use one of ${TTS_MODELS.join(", ")}`,
              });
            } else if (!isTtsModel(v)) {
              ctx.addIssue({ code: "custom", message: `must be one of ${TTS_MODELS.join(", ")}` });
            }
          }),
      )
      .meta({ description: `The text-to-speech model: one of ${TTS_MODELS.join(", ")} (they answer PCM).` }),
    WORKERS_AI_TTS_VOICE: z.preprocess(blankAsUnset, z.string().trim().toLowerCase().optional()).meta({
      description: "The voice (speaker) of the text-to-speech model, where the model has several; unset: its default.",
    }),
    WORKERS_AI_TIMEOUT_MS: timeoutSetting(z, 10_000),
  })
  .superRefine((s, ctx) => {
    const voice = s.WORKERS_AI_TTS_VOICE;
    const model = s.WORKERS_AI_TTS_MODEL as TtsModel;
    if (voice && !TTS_VOICES[model].speakers.includes(voice)) {
      ctx.addIssue({
        code: "custom",
        path: ["WORKERS_AI_TTS_VOICE"],
        message: `must be a speaker of ${model}: ${TTS_VOICES[model].speakers.join(", ")}`,
      });
    }
  })
  .transform((s): WorkersAiSettings => ({
    ai: s.AI,
    sttModel: s.WORKERS_AI_STT_MODEL as SttModel,
    ttsModel: s.WORKERS_AI_TTS_MODEL as TtsModel,
    ttsVoice: s.WORKERS_AI_TTS_VOICE,
    timeoutMs: s.WORKERS_AI_TIMEOUT_MS,
  }));

/** Workers AI picks the data centre itself; there is no region to configure. */
export const WORKERS_AI_REGION = "global";
