/**
 * Azure neural text to speech, streamed. The REST endpoint sends the audio chunked while it is
 * synthesised; the raw-* output formats are headerless 16-bit PCM, so the first bytes can be played at
 * once (https://learn.microsoft.com/azure/ai-services/speech-service/rest-text-to-speech#audio-outputs;
 * Microsoft's advice to prefer streaming formats for latency:
 * https://github.com/Azure-Samples/Cognitive-Speech-TTS/wiki/The-best-practice-to-call-TTS-service-in-server-scenario).
 */
import { ProviderError } from "../errors";
import { streamHttpPcm } from "../http-stream";
import type { PcmChunk, StreamingTextToSpeech } from "../streaming";
import type { TtsRequest } from "../types";
import { withAzureErrorDetail } from "./errors";
import { azureOutputFormat, type AzureOutput } from "./output-format";
import { type AzureEngineOptions, type AzureSettings, AZURE_PROVIDER } from "./settings";
import { synthesisRequest } from "./tts";

export class AzureStreamingSynthesizer implements StreamingTextToSpeech {
  readonly name = AZURE_PROVIDER;
  readonly region: string;

  constructor(
    private readonly settings: AzureSettings,
    private readonly options: AzureEngineOptions = {},
  ) {
    this.region = settings.region;
  }

  stream(req: TtsRequest, signal?: AbortSignal): AsyncIterable<PcmChunk> {
    // Always a raw-* format: the requested rate when Azure has it, else the voices' native 24 kHz.
    const output = azureOutputFormat("pcm", req.sampleRate) as Extract<AzureOutput, { kind: "pcm" }>;
    return streamHttpPcm({
      provider: AZURE_PROVIDER,
      ...synthesisRequest(this.settings, req, output.header),
      timeoutMs: this.settings.timeoutMs,
      sampleRate: output.sampleRate,
      signal,
      fetcher: this.options.fetcher,
      decorate: withAzureErrorDetail,
      check: () => {
        if (!req.text.trim())
          throw new ProviderError(AZURE_PROVIDER, "permanent", "nothing to synthesize: the text is empty");
      },
    });
  }
}
