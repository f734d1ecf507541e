/**
 * Cartesia text to speech, batch: POST {base}/tts/bytes with JSON {model_id, transcript, voice:
 * {mode: "id", id}, output_format, language} answers the audio as its body
 * (https://docs.cartesia.ai/api-reference/tts/bytes). output_format is {container: "raw", encoding:
 * "pcm_s16le", sample_rate} for headerless 16-bit little-endian PCM, or {container: "mp3", sample_rate,
 * bit_rate}.
 */
import { ProviderError, refusedRequest } from "../errors";
import { providerFetch } from "../http";
import type { TextToSpeech, TtsEncoding, TtsRequest, TtsResult } from "../types";
import { speechFromAnswer, type SpeechOutput } from "../validate";
import { withCartesiaErrorDetail } from "./errors";
import {
  authHeaders,
  CARTESIA_PROVIDER,
  cartesiaLanguage,
  cartesiaRate,
  VOICE_ID,
  type CartesiaOptions,
  type CartesiaSettings,
} from "./settings";

/** The generation request both endpoints take (the WebSocket adds context_id and continue). */
export function generationRequest(
  settings: CartesiaSettings,
  req: TtsRequest,
  outputFormat: Record<string, string | number>,
): Record<string, unknown> {
  if (!req.text.trim())
    throw new ProviderError(CARTESIA_PROVIDER, "permanent", "nothing to synthesize: the text is empty");
  const voice = req.voice?.trim() || settings.voice;
  if (!VOICE_ID.test(voice))
    throw refusedRequest(CARTESIA_PROVIDER, "voice", `'${voice.slice(0, 40)}' is not a Cartesia voice id (a UUID)`);
  const language = cartesiaLanguage(req.language);
  return {
    model_id: settings.model,
    transcript: req.text,
    voice: { mode: "id", id: voice },
    output_format: outputFormat,
    ...(language ? { language } : {}),
  };
}

export const rawPcmFormat = (sampleRate: number) => ({
  container: "raw",
  encoding: "pcm_s16le",
  sample_rate: sampleRate,
});

export class CartesiaTextToSpeech implements TextToSpeech {
  readonly name = CARTESIA_PROVIDER;
  readonly region: string;
  readonly encodings: readonly TtsEncoding[] = ["pcm", "mp3"];

  constructor(
    private readonly settings: CartesiaSettings,
    private readonly options: CartesiaOptions = {},
  ) {
    this.region = settings.region;
  }

  async synthesize(req: TtsRequest, signal?: AbortSignal): Promise<TtsResult> {
    const mp3 = req.encoding === "mp3";
    const rate = mp3 ? 44100 : cartesiaRate(req.sampleRate);
    const output: SpeechOutput = mp3
      ? { kind: "encoded", format: "mp3", mediaType: "audio/mpeg" }
      : { kind: "pcm", sampleRate: rate };
    const body = generationRequest(
      this.settings,
      req,
      mp3 ? { container: "mp3", sample_rate: rate, bit_rate: 128_000 } : rawPcmFormat(rate),
    );
    const res = await providerFetch(
      `${this.settings.baseUrl}/tts/bytes`,
      {
        method: "POST",
        headers: { ...authHeaders(this.settings), "Content-Type": "application/json" },
        body: JSON.stringify(body),
      },
      {
        provider: CARTESIA_PROVIDER,
        timeoutMs: this.settings.timeoutMs,
        signal,
        fetcher: withCartesiaErrorDetail(this.options.fetcher),
      },
    );
    return speechFromAnswer(CARTESIA_PROVIDER, res, output);
  }
}
