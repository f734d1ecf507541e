/**
 * Azure AI Speech recognition through the REST API for short audio.
 * https://learn.microsoft.com/azure/ai-services/speech-service/rest-speech-to-text-short
 */
import { providerFetch, readJson } from "../http";
import type { Container, SpeechToText, SttInput, SttResult } from "../types";
import { withAzureErrorDetail } from "./errors";
import { parseAnswer } from "../validate";
import { type AzureEngineOptions, type AzureSettings, AZURE_PROVIDER } from "./settings";
import { azureAudioBody } from "./stt-audio";
import { azureRecognitionSchema, mapAzureRecognition } from "./stt-response";

export class AzureSpeechToText implements SpeechToText {
  readonly name = AZURE_PROVIDER;
  readonly region: string;
  /** Ogg (Opus only: Vorbis is refused before the call); PCM is sent as 16 kHz WAV. */
  readonly containers: readonly Container[] = ["ogg"];
  private readonly fetcher: typeof fetch;

  constructor(
    private readonly settings: AzureSettings,
    options: AzureEngineOptions = {},
  ) {
    this.region = settings.region;
    this.fetcher = withAzureErrorDetail(options.fetcher);
  }

  async transcribe(input: SttInput, signal?: AbortSignal): Promise<SttResult> {
    const { contentType, body } = azureAudioBody(input); // refuses what Azure cannot take, before any call
    // Endpoint:
    // https://<REGION_IDENTIFIER>.stt.speech.microsoft.com/speech/recognition/conversation/cognitiveservices/v1
    const url = new URL(
      `https://${this.settings.region}.stt.speech.microsoft.com/speech/recognition/conversation/cognitiveservices/v1`,
    );
    url.searchParams.set("language", input.language); // required, else a 4xx ("Query parameters")
    url.searchParams.set("format", "detailed"); // NBest with Confidence and Display
    const res = await providerFetch(
      url.toString(),
      {
        method: "POST",
        headers: {
          // Resource key in a header (never the URL): "Ocp-Apim-Subscription-Key: Your resource key".
          "Ocp-Apim-Subscription-Key": this.settings.key,
          "Content-Type": contentType,
          // "If provided, it must be application/json ... It's good practice to always include Accept."
          Accept: "application/json",
        },
        body,
      },
      { provider: AZURE_PROVIDER, timeoutMs: this.settings.timeoutMs, signal, fetcher: this.fetcher },
    );
    return mapAzureRecognition(
      parseAnswer(AZURE_PROVIDER, azureRecognitionSchema, await readJson(AZURE_PROVIDER, res)),
    );
  }
}
