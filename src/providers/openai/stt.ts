import { AudioError } from "../../audio/errors";
import { encodeWav } from "../../audio/wav";
import { providerFetch, readJson } from "../http";
import type { Container, SpeechToText, SttInput, SttResult } from "../types";
import { PROVIDER, readBody, reclassify } from "./errors";
import { iso6391 } from "./language";
import { authHeaders, endpointId, type OpenAiSettings } from "./settings";
import { toSttResult } from "./transcription";

/**
 * "File uploads are currently limited to 25 MB" (https://platform.openai.com/docs/guides/speech-to-text);
 * the FAQ puts the whole request at 25 MiB (https://help.openai.com/en/articles/7031512-whisper-api-faq).
 * 25,000,000 bytes of audio leaves room for the multipart envelope under either reading.
 */
export const MAX_UPLOAD_BYTES = 25_000_000;

/**
 * The endpoint reads the format from the file name's extension; it takes flac, mp3, mp4, mpeg,
 * mpga, m4a, ogg, wav and webm (createTranscription, `file`). PCM is sent as WAV.
 */
const UPLOADS: Record<Container | "wav", { filename: string; type: string }> = {
  wav: { filename: "audio.wav", type: "audio/wav" },
  ogg: { filename: "audio.ogg", type: "audio/ogg" },
  webm: { filename: "audio.webm", type: "audio/webm" },
  mp3: { filename: "audio.mp3", type: "audio/mpeg" },
  flac: { filename: "audio.flac", type: "audio/flac" },
};

/** Only these models return token logprobs, and only with response_format=json (createTranscription, `include[]`). */
const LOGPROB_MODELS = new Set(["gpt-4o-transcribe", "gpt-4o-mini-transcribe"]);

export class OpenAiSpeechToText implements SpeechToText {
  readonly name = PROVIDER;
  readonly region: string;
  readonly containers: readonly Container[] = ["ogg", "webm", "mp3", "flac"];

  constructor(
    private readonly settings: OpenAiSettings,
    private readonly options: { fetcher?: typeof fetch } = {},
  ) {
    this.region = endpointId(settings);
  }

  async transcribe(input: SttInput, signal?: AbortSignal): Promise<SttResult> {
    const form = this.form(input);
    const res = await providerFetch(
      `${this.settings.baseUrl}/v1/audio/transcriptions`,
      // No Content-Type: fetch writes multipart/form-data with the boundary itself.
      { method: "POST", headers: authHeaders(this.settings), body: form },
      { provider: PROVIDER, timeoutMs: this.settings.timeoutMs, signal, fetcher: this.options.fetcher },
    ).catch(reclassify);
    return toSttResult(await readBody(res, (r) => readJson<unknown>(PROVIDER, r), signal));
  }

  /** The multipart body documented at https://platform.openai.com/docs/api-reference/audio/createTranscription. */
  private form(input: SttInput): FormData {
    const bytes = input.kind === "pcm" ? encodeWav(input.samples, input.sampleRate) : input.bytes;
    const upload = UPLOADS[input.kind === "pcm" ? "wav" : input.container];
    if (bytes.length > MAX_UPLOAD_BYTES) {
      throw new AudioError(
        "payload_too_large",
        `The audio is ${(bytes.length / 1e6).toFixed(1)} MB; OpenAI transcribes files of at most ` +
          "25 MB. Send a shorter recording or a compressed format (ogg, webm, mp3, flac).",
      );
    }
    const model = this.settings.sttModel;
    const form = new FormData();
    form.append("file", new File([new Uint8Array(bytes)], upload.filename, { type: upload.type }));
    form.append("model", model);
    const language = iso6391(input.language);
    if (language) form.append("language", language);
    if (model === "whisper-1") {
      // Word timings need verbose_json; segments carry avg_logprob, our confidence source.
      form.append("response_format", "verbose_json");
      form.append("timestamp_granularities[]", "word");
      form.append("timestamp_granularities[]", "segment");
    } else {
      // The gpt-4o transcribe models support json only.
      form.append("response_format", "json");
      if (LOGPROB_MODELS.has(model)) form.append("include[]", "logprobs");
    }
    return form;
  }
}
