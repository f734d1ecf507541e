/**
 * The Workers AI models this adapter drives, with what their documented schemas allow
 * (https://developers.cloudflare.com/workers-ai/models/ ; the same schemas are typed in
 * worker-configuration.d.ts as Ai_Cf_*_Input / _Output).
 */
import type { Container } from "../types";

export const STT_MODELS = ["@cf/openai/whisper-large-v3-turbo", "@cf/openai/whisper", "@cf/deepgram/nova-3"] as const;
export type SttModel = (typeof STT_MODELS)[number];
export const DEFAULT_STT_MODEL: SttModel = "@cf/openai/whisper-large-v3-turbo";

/**
 * Models that stream recognition over the binding's WebSocket (`run(model, inputs, { websocket: true })`,
 * https://developers.cloudflare.com/workers-ai/models/flux/ and /nova-3/): Deepgram's, speaking
 * Deepgram's own frames.
 */
export const STREAM_STT_MODELS = ["@cf/deepgram/flux", "@cf/deepgram/nova-3"] as const;
export type StreamSttModel = (typeof STREAM_STT_MODELS)[number];
export const DEFAULT_STREAM_STT_MODEL: StreamSttModel = "@cf/deepgram/flux";

/**
 * Containers each model takes as they are (PCM is always sent as WAV). Cloudflare documents the
 * Whisper models with MP3 (and WAV) examples only and lists no other format, so only mp3 is claimed
 * for them; Nova-3 is Deepgram's model, which decodes ogg, webm, mp3 and flac among its 100+
 * formats (https://developers.deepgram.com/docs/supported-audio-formats).
 */
export const STT_CONTAINERS: Record<SttModel, readonly Container[]> = {
  "@cf/openai/whisper-large-v3-turbo": ["mp3"],
  "@cf/openai/whisper": ["mp3"],
  "@cf/deepgram/nova-3": ["ogg", "webm", "mp3", "flac"],
};

/**
 * Nova-3's languages on Workers AI (https://developers.cloudflare.com/workers-ai/models/nova-3/,
 * "Supported languages"); without one it assumes en-US.
 */
export const NOVA3_LANGUAGES = [
  "en",
  "en-US",
  "en-AU",
  "en-GB",
  "en-IN",
  "en-NZ",
  "es",
  "es-419",
  "fr",
  "fr-CA",
  "de",
  "de-CH",
  "hi",
  "ru",
  "pt",
  "pt-BR",
  "pt-PT",
  "ja",
  "it",
  "nl",
];

/**
 * Text-to-speech: the Deepgram Aura models, which can answer linear16 in a WAV container. MeloTTS
 * (@cf/myshell-ai/melotts) is left out on purpose: it answers MP3 only
 * (https://developers.cloudflare.com/workers-ai/models/melotts/), and every engine here must
 * produce PCM (the Worker has no MP3 decoder to make wav/mulaw from it).
 */
export const TTS_MODELS = ["@cf/deepgram/aura-1", "@cf/deepgram/aura-2-en", "@cf/deepgram/aura-2-es"] as const;
export type TtsModel = (typeof TTS_MODELS)[number];
export const DEFAULT_TTS_MODEL: TtsModel = "@cf/deepgram/aura-1";
export const MP3_ONLY_TTS_MODEL = "@cf/myshell-ai/melotts";

/** The `speaker` enums of the models' input schemas, and the language each model speaks. */
export const TTS_VOICES: Record<TtsModel, { language: string; speakers: readonly string[] }> = {
  "@cf/deepgram/aura-1": {
    language: "en",
    speakers: [
      "angus",
      "asteria",
      "arcas",
      "orion",
      "orpheus",
      "athena",
      "luna",
      "zeus",
      "perseus",
      "helios",
      "hera",
      "stella",
    ],
  },
  "@cf/deepgram/aura-2-en": {
    language: "en",
    speakers: [
      "amalthea",
      "andromeda",
      "apollo",
      "arcas",
      "aries",
      "asteria",
      "athena",
      "atlas",
      "aurora",
      "callista",
      "cora",
      "cordelia",
      "delia",
      "draco",
      "electra",
      "harmonia",
      "helena",
      "hera",
      "hermes",
      "hyperion",
      "iris",
      "janus",
      "juno",
      "jupiter",
      "luna",
      "mars",
      "minerva",
      "neptune",
      "odysseus",
      "ophelia",
      "orion",
      "orpheus",
      "pandora",
      "phoebe",
      "pluto",
      "saturn",
      "thalia",
      "theia",
      "vesta",
      "zeus",
    ],
  },
  "@cf/deepgram/aura-2-es": {
    language: "es",
    speakers: ["sirio", "nestor", "carina", "celeste", "alvaro", "diana", "aquila", "selena", "estrella", "javier"],
  },
};

/**
 * linear16 sample rates Aura can produce; mp3 is fixed at 22050 Hz and opus-in-ogg at 48000 Hz
 * ("Audio Format Combinations", https://developers.deepgram.com/docs/tts-media-output-settings).
 */
export const LINEAR16_RATES = [8000, 16000, 24000, 32000, 48000] as const;

export const isSttModel = (v: string): v is SttModel => (STT_MODELS as readonly string[]).includes(v);
export const isTtsModel = (v: string): v is TtsModel => (TTS_MODELS as readonly string[]).includes(v);
