import { AudioError } from "../../audio/errors";
import { encodeWav } from "../../audio/wav";
import { refusedRequest } from "../errors";
import type { Container, SpeechToText, SttInput, SttResult } from "../types";
import { bytesToBase64 } from "../../lib/base64";
import { PROVIDER } from "./errors";
import { iso6391, novaLanguage } from "./language";
import { NOVA3_LANGUAGES, STT_CONTAINERS, type SttModel } from "./models";
import { runModel } from "./run";
import { WORKERS_AI_REGION, type WorkersAiSettings } from "./settings";
import { toSttResult } from "./transcription";

const MEDIA_TYPES: Record<Container | "wav", string> = {
  wav: "audio/wav",
  ogg: "audio/ogg",
  webm: "audio/webm",
  mp3: "audio/mpeg",
  flac: "audio/flac",
};

export class WorkersAiSpeechToText implements SpeechToText {
  readonly name = PROVIDER;
  readonly region = WORKERS_AI_REGION;
  readonly containers: readonly Container[];

  /** `options` is the shape every adapter takes; this one calls the AI binding, not fetch. */
  constructor(
    private readonly settings: WorkersAiSettings,
    _options: { fetcher?: typeof fetch } = {},
  ) {
    this.containers = STT_CONTAINERS[settings.sttModel];
  }

  async transcribe(input: SttInput, signal?: AbortSignal): Promise<SttResult> {
    const model = this.settings.sttModel;
    const inputs = this.inputs(model, input);
    const raw = await runModel(
      this.settings.ai,
      model,
      inputs,
      { timeoutMs: this.settings.timeoutMs, signal },
      (output) => output,
    );
    return toSttResult(model, raw);
  }

  /** The model's input object; PCM goes as WAV bytes, and what the model cannot take is refused here. */
  private inputs(model: SttModel, input: SttInput): Record<string, unknown> {
    if (input.kind === "container" && !this.containers.includes(input.container)) {
      throw new AudioError(
        "unsupported_media_type",
        `Workers AI ${model} takes WAV or ${this.containers.join(", ")} audio, not '${input.mediaType}'. Send ` +
          "one of those, or set WORKERS_AI_STT_MODEL=@cf/deepgram/nova-3, which also takes ogg, webm and flac.",
      );
    }
    const bytes = input.kind === "pcm" ? encodeWav(input.samples, input.sampleRate) : input.bytes;
    const contentType = MEDIA_TYPES[input.kind === "pcm" ? "wav" : input.container];
    switch (model) {
      case "@cf/openai/whisper-large-v3-turbo": {
        // `audio` is the base64 of the file's bytes; `language` an ISO 639-1 code (omitted: detected).
        const language = iso6391(input.language);
        return { audio: bytesToBase64(bytes), ...(language ? { language } : {}) };
      }
      case "@cf/openai/whisper":
        // "An array of integers ... constrained to 8-bit unsigned integer values": the file's bytes. No language input.
        return { audio: Array.from(bytes) };
      case "@cf/deepgram/nova-3": {
        const language = novaLanguage(input.language);
        if (!language) {
          throw refusedRequest(
            PROVIDER,
            "language",
            `Nova-3 on Workers AI transcribes ${NOVA3_LANGUAGES.join(", ")}; not '${input.language}'`,
          );
        }
        // `audio: {body, contentType}` with the body as a stream, as in the model page's usage example;
        // punctuate matches the Whisper models' punctuated output.
        return { audio: { body: new Blob([new Uint8Array(bytes)]).stream(), contentType }, language, punctuate: true };
      }
    }
  }
}
