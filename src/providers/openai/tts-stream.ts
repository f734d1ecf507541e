/**
 * OpenAI speech, streamed: POST {base}/v1/audio/speech with response_format "pcm" answers raw 24 kHz
 * 16-bit little-endian samples with no header, sent chunked as they are generated, so playback can
 * start before the whole text is spoken (https://platform.openai.com/docs/guides/text-to-speech,
 * "Streaming real-time audio"; https://platform.openai.com/docs/api-reference/audio/createSpeech).
 */
import { ProviderError, refusedRequest } from "../errors";
import { streamHttpPcm } from "../http-stream";
import type { PcmChunk, StreamingTextToSpeech } from "../streaming";
import type { TtsRequest } from "../types";
import { PROVIDER, reclassify } from "./errors";
import { authHeaders, endpointId, type OpenAiSettings } from "./settings";
import { OPENAI_PCM_RATE } from "./speech-audio";
import { MAX_INPUT_CHARS } from "./tts";

export class OpenAiStreamingSynthesizer implements StreamingTextToSpeech {
  readonly name = PROVIDER;
  readonly region: string;

  constructor(
    private readonly settings: OpenAiSettings,
    private readonly options: { fetcher?: typeof fetch } = {},
  ) {
    this.region = endpointId(settings);
  }

  stream(req: TtsRequest, signal?: AbortSignal): AsyncIterable<PcmChunk> {
    const input = req.text.trim();
    return streamHttpPcm({
      provider: PROVIDER,
      url: `${this.settings.baseUrl}/v1/audio/speech`,
      init: {
        method: "POST",
        headers: { ...authHeaders(this.settings), "Content-Type": "application/json" },
        body: JSON.stringify({
          model: this.settings.ttsModel,
          input,
          voice: req.voice?.trim() || this.settings.ttsVoice,
          response_format: "pcm",
        }),
      },
      timeoutMs: this.settings.timeoutMs,
      sampleRate: OPENAI_PCM_RATE,
      signal,
      fetcher: this.options.fetcher,
      reclassify,
      // Self-hosted servers are known to ignore response_format and answer WAV: refused here, the batch engine
      // takes it.
      refuseContainers: true,
      check: () => {
        if (!input) throw new ProviderError(PROVIDER, "permanent", "nothing to synthesize: the text is empty");
        if (input.length > MAX_INPUT_CHARS)
          throw refusedRequest(
            PROVIDER,
            "text",
            `the text is ${input.length} characters; OpenAI speech takes at most ${MAX_INPUT_CHARS}`,
          );
      },
    });
  }
}
