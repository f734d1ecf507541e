/**
 * Azure AI Speech synthesis through the text to speech REST API.
 * https://learn.microsoft.com/azure/ai-services/speech-service/rest-text-to-speech#convert-text-to-speech
 */
import { ProviderError } from "../errors";
import { speechFromAnswer } from "../validate";
import { providerFetch } from "../http";
import type { TextToSpeech, TtsEncoding, TtsRequest, TtsResult } from "../types";
import { withAzureErrorDetail } from "./errors";
import { azureOutputFormat } from "./output-format";
import { type AzureEngineOptions, type AzureSettings, AZURE_PROVIDER } from "./settings";
import { buildSsml } from "./ssml";

/** "User-Agent: The application name. The provided value must be fewer than 255 characters." (required) */
export const AZURE_USER_AGENT = "voice-edge";

/**
 * The synthesis request, whole or streamed: https://<region>.tts.speech.microsoft.com/cognitiveservices/v1
 * with the SSML and the output format's header (the auth table lists Ocp-Apim-Subscription-Key as
 * supported for text to speech too).
 */
export function synthesisRequest(
  settings: AzureSettings,
  req: TtsRequest,
  outputHeader: string,
): { url: string; init: RequestInit } {
  return {
    url: `https://${settings.region}.tts.speech.microsoft.com/cognitiveservices/v1`,
    init: {
      method: "POST",
      headers: {
        "Ocp-Apim-Subscription-Key": settings.key,
        "Content-Type": "application/ssml+xml",
        "X-Microsoft-OutputFormat": outputHeader,
        "User-Agent": AZURE_USER_AGENT,
      },
      body: buildSsml(req.text, req.voice ?? settings.voice, req.language),
    },
  };
}

export class AzureTextToSpeech implements TextToSpeech {
  readonly name = AZURE_PROVIDER;
  readonly region: string;
  readonly encodings: readonly TtsEncoding[] = ["pcm", "mp3", "ogg"];
  private readonly fetcher: typeof fetch;

  constructor(
    private readonly settings: AzureSettings,
    options: AzureEngineOptions = {},
  ) {
    this.region = settings.region;
    this.fetcher = withAzureErrorDetail(options.fetcher);
  }

  async synthesize(req: TtsRequest, signal?: AbortSignal): Promise<TtsResult> {
    if (!req.text.trim())
      throw new ProviderError(AZURE_PROVIDER, "permanent", "nothing to synthesize: the text is empty");
    const output = azureOutputFormat(req.encoding ?? "pcm", req.sampleRate);
    const { url, init } = synthesisRequest(this.settings, req, output.header);
    const res = await providerFetch(url, init, {
      provider: AZURE_PROVIDER,
      timeoutMs: this.settings.timeoutMs,
      signal,
      fetcher: this.fetcher,
    });
    return speechFromAnswer(AZURE_PROVIDER, res, output);
  }
}
