/**
 * Deepgram Aura text to speech through the REST API: POST /v1/speak?model=... with JSON {"text"}
 * and the audio as the response body.
 * https://developers.deepgram.com/docs/text-to-speech and
 * https://developers.deepgram.com/reference/text-to-speech/speak-request
 */
import { ProviderError } from "../errors";
import { speechFromAnswer } from "../validate";
import { providerFetch } from "../http";
import type { TextToSpeech, TtsEncoding, TtsRequest, TtsResult } from "../types";
import { withDeepgramErrorDetail } from "./errors";
import { authHeaders, DEEPGRAM_PROVIDER, type DeepgramEngineOptions, type DeepgramSettings } from "./settings";
import { deepgramOutputFormat } from "./tts-format";

export class DeepgramTextToSpeech implements TextToSpeech {
  readonly name = DEEPGRAM_PROVIDER;
  readonly region: string;
  readonly encodings: readonly TtsEncoding[] = ["pcm", "mp3", "ogg"];
  private readonly fetcher: typeof fetch;

  constructor(
    private readonly settings: DeepgramSettings,
    options: DeepgramEngineOptions = {},
  ) {
    this.region = settings.region;
    this.fetcher = withDeepgramErrorDetail(options.fetcher);
  }

  async synthesize(req: TtsRequest, signal?: AbortSignal): Promise<TtsResult> {
    if (!req.text.trim())
      throw new ProviderError(DEEPGRAM_PROVIDER, "permanent", "nothing to synthesize: the text is empty");
    const output = deepgramOutputFormat(req.encoding ?? "pcm", req.sampleRate);
    const url = new URL(`${this.settings.baseUrl}/v1/speak`);
    // An Aura model is one voice in one language, so the voice picks the model and req.language has no separate
    // parameter.
    url.searchParams.set("model", req.voice ?? this.settings.ttsModel);
    for (const [name, value] of output.params) url.searchParams.set(name, value);
    const res = await providerFetch(
      url.toString(),
      {
        method: "POST",
        headers: { ...authHeaders(this.settings), "Content-Type": "application/json" },
        body: JSON.stringify({ text: req.text }),
      },
      { provider: DEEPGRAM_PROVIDER, timeoutMs: this.settings.timeoutMs, signal, fetcher: this.fetcher },
    );
    return speechFromAnswer(DEEPGRAM_PROVIDER, res, output);
  }
}
