import { z } from "zod";
import { timeoutSetting } from "../settings";
import {
  DEFAULT_STT_MODEL,
  DEFAULT_TTS_MODEL,
  isSttModel,
  isTtsModel,
  MP3_ONLY_TTS_MODEL,
  STREAM_STT_MODELS,
  STT_MODELS,
  TTS_MODELS,
  type StreamSttModel,
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
  /** With `websocket: true` (streaming models), the answer is the upgrade's Response, its `webSocket` the socket. */
  run(
    model: string,
    inputs: Record<string, unknown>,
    options?: { signal?: AbortSignal; websocket?: boolean },
  ): Promise<unknown>;
}

export interface WorkersAiSettings {
  ai: AiRunner;
  sttModel: SttModel;
  ttsModel: TtsModel;
  /** A speaker of ttsModel; undefined means the model's own default. */
  ttsVoice: string | undefined;
  timeoutMs: number;
  /** Streaming recognition (STT_STREAMING_PROVIDERS): the model, and Flux's thresholds, each only when set. */
  sttStreamModel?: StreamSttModel;
  eotThreshold?: number;
  eagerEotThreshold?: number;
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
    WORKERS_AI_STT_STREAMING_MODEL: z
      .preprocess(
        blankAsUnset,
        z.enum(STREAM_STT_MODELS, { error: `must be one of ${STREAM_STT_MODELS.join(", ")}` }).optional(),
      )
      .meta({
        description:
          "The model of streaming recognition (`STT_STREAMING_PROVIDERS`) over the AI binding's WebSocket: " +
          "`@cf/deepgram/flux` (ends turns itself; English) or `@cf/deepgram/nova-3`. Unset: `@cf/deepgram/flux`.",
      }),
    WORKERS_AI_EOT_THRESHOLD: z
      .preprocess(blankAsUnset, z.coerce.number().min(0.5).max(0.9).optional())
      .meta({ description: "Flux: the end-of-turn confidence that ends a turn (0.5-0.9; unset: the model's 0.7)." }),
    WORKERS_AI_EAGER_EOT_THRESHOLD: z.preprocess(blankAsUnset, z.coerce.number().min(0.3).max(0.9).optional()).meta({
      description:
        "Flux: the confidence at which a turn probably ended (`EagerEndOfTurn`, 0.3-0.9). Unset: no eager end of turn.",
    }),
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
    ...(s.WORKERS_AI_STT_STREAMING_MODEL !== undefined ? { sttStreamModel: s.WORKERS_AI_STT_STREAMING_MODEL } : {}),
    ...(s.WORKERS_AI_EOT_THRESHOLD !== undefined ? { eotThreshold: s.WORKERS_AI_EOT_THRESHOLD } : {}),
    ...(s.WORKERS_AI_EAGER_EOT_THRESHOLD !== undefined ? { eagerEotThreshold: s.WORKERS_AI_EAGER_EOT_THRESHOLD } : {}),
  }));

/** Workers AI picks the data centre itself; there is no region to configure. */
export const WORKERS_AI_REGION = "global";
