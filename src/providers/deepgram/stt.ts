/**
 * Deepgram speech recognition through the pre-recorded REST API (POST /v1/listen).
 * https://developers.deepgram.com/reference/speech-to-text/listen-pre-recorded
 */
import { providerFetch, readJson } from "../http";
import type { Container, SpeechToText, SttInput, SttResult } from "../types";
import { withDeepgramErrorDetail } from "./errors";
import { deepgramLanguage } from "./language";
import { parseAnswer } from "../validate";
import { authHeaders, DEEPGRAM_PROVIDER, type DeepgramEngineOptions, type DeepgramSettings } from "./settings";
import { deepgramAudioBody } from "./stt-audio";
import { deepgramListenSchema, mapDeepgramListen } from "./stt-response";

export class DeepgramSpeechToText implements SpeechToText {
  readonly name = DEEPGRAM_PROVIDER;
  readonly region: string;
  /** "Deepgram can handle nearly all audio formats": Ogg (Opus or Vorbis), WebM, MP3 and FLAC included. */
  readonly containers: readonly Container[] = ["ogg", "webm", "mp3", "flac"];
  private readonly fetcher: typeof fetch;

  constructor(
    private readonly settings: DeepgramSettings,
    options: DeepgramEngineOptions = {},
  ) {
    this.region = settings.region;
    this.fetcher = withDeepgramErrorDetail(options.fetcher);
  }

  async transcribe(input: SttInput, signal?: AbortSignal): Promise<SttResult> {
    const { contentType, body } = deepgramAudioBody(input);
    const url = new URL(`${this.settings.baseUrl}/v1/listen`);
    url.searchParams.set("model", this.settings.sttModel);
    url.searchParams.set("smart_format", "true"); // punctuation and formatted numbers/currency (docs: Smart Format)
    url.searchParams.set("language", deepgramLanguage(input.language));
    const res = await providerFetch(
      url.toString(),
      { method: "POST", headers: { ...authHeaders(this.settings), "Content-Type": contentType }, body },
      { provider: DEEPGRAM_PROVIDER, timeoutMs: this.settings.timeoutMs, signal, fetcher: this.fetcher },
    );
    return mapDeepgramListen(
      parseAnswer(DEEPGRAM_PROVIDER, deepgramListenSchema, await readJson(DEEPGRAM_PROVIDER, res)),
    );
  }
}
