/**
 * Deepgram Aura, streamed: the REST POST /v1/speak sends its audio as it is generated, playable
 * "as soon as the first byte arrives" (https://developers.deepgram.com/docs/streaming-the-audio-output).
 * Asked for linear16 with container=none it is headerless little-endian PCM
 * (https://developers.deepgram.com/docs/tts-media-output-settings), read here chunk by chunk.
 */
import { ProviderError } from "../errors";
import { streamHttpPcm } from "../http-stream";
import type { PcmChunk, StreamingTextToSpeech } from "../streaming";
import type { TtsRequest } from "../types";
import { withDeepgramErrorDetail } from "./errors";
import { authHeaders, DEEPGRAM_PROVIDER, type DeepgramEngineOptions, type DeepgramSettings } from "./settings";
import { deepgramOutputFormat, type DeepgramOutput } from "./tts-format";

export class DeepgramStreamingSynthesizer implements StreamingTextToSpeech {
  readonly name = DEEPGRAM_PROVIDER;
  readonly region: string;

  constructor(
    private readonly settings: DeepgramSettings,
    private readonly options: DeepgramEngineOptions = {},
  ) {
    this.region = settings.region;
  }

  stream(req: TtsRequest, signal?: AbortSignal): AsyncIterable<PcmChunk> {
    // linear16 in, linear16 out: the pcm branch of the format table.
    const output = deepgramOutputFormat("pcm", req.sampleRate) as Extract<DeepgramOutput, { kind: "pcm" }>;
    const url = new URL(`${this.settings.baseUrl}/v1/speak`);
    // As in the batch adapter: an Aura model is one voice in one language.
    url.searchParams.set("model", req.voice ?? this.settings.ttsModel);
    for (const [name, value] of output.params) url.searchParams.set(name, value);
    return streamHttpPcm({
      provider: DEEPGRAM_PROVIDER,
      url: url.toString(),
      init: {
        method: "POST",
        headers: { ...authHeaders(this.settings), "Content-Type": "application/json" },
        body: JSON.stringify({ text: req.text }),
      },
      timeoutMs: this.settings.timeoutMs,
      sampleRate: output.sampleRate,
      signal,
      fetcher: this.options.fetcher,
      decorate: withDeepgramErrorDetail,
      check: () => {
        if (!req.text.trim())
          throw new ProviderError(DEEPGRAM_PROVIDER, "permanent", "nothing to synthesize: the text is empty");
      },
    });
  }
}
