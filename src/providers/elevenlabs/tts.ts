/**
 * ElevenLabs text to speech, batch: POST {base}/v1/text-to-speech/{voice_id}?output_format=... with
 * JSON {text, model_id} and the `xi-api-key` header answers the audio as its body
 * (https://elevenlabs.io/docs/api-reference/text-to-speech/convert).
 */
import { ProviderError, refusedRequest } from "../errors";
import { providerFetch } from "../http";
import type { TextToSpeech, TtsEncoding, TtsRequest, TtsResult } from "../types";
import { speechFromAnswer, type SpeechOutput } from "../validate";
import { reclassify, withElevenLabsErrorDetail } from "./errors";
import {
  authHeaders,
  ELEVENLABS_PROVIDER,
  VOICE_ID,
  type ElevenLabsOptions,
  type ElevenLabsSettings,
} from "./settings";

/**
 * output_format is codec_samplerate[_bitrate]: pcm_8000 ... pcm_48000 are raw 16-bit little-endian
 * mono; pcm_44100 and above need a Pro plan, so higher requested rates get 24 kHz and are resampled by
 * the caller (same page, `output_format`).
 */
const PCM_RATES = [8000, 16000, 22050, 24000] as const;

export type ElevenLabsOutput = SpeechOutput & { outputFormat: string };

export function elevenLabsOutput(encoding: TtsEncoding, sampleRate: number): ElevenLabsOutput {
  if (encoding === "mp3") {
    const narrow = sampleRate <= 22050;
    return {
      kind: "encoded",
      format: "mp3",
      mediaType: "audio/mpeg",
      outputFormat: narrow ? "mp3_22050_32" : "mp3_44100_128",
    };
  }
  return elevenLabsPcm(sampleRate);
}

/** The highest PCM rate ElevenLabs has (without a Pro plan) not above the requested one; 8 kHz at least. */
export function elevenLabsPcm(sampleRate: number): { kind: "pcm"; sampleRate: number; outputFormat: string } {
  let rate: number = PCM_RATES[0];
  for (const r of PCM_RATES) if (r <= sampleRate) rate = r;
  return { kind: "pcm", sampleRate: rate, outputFormat: `pcm_${rate}` };
}

/** The URL of the batch (`stream` false) or streaming endpoint for this request's voice, checked first. */
export function speechUrl(settings: ElevenLabsSettings, req: TtsRequest, outputFormat: string, stream: boolean) {
  if (!req.text.trim())
    throw new ProviderError(ELEVENLABS_PROVIDER, "permanent", "nothing to synthesize: the text is empty");
  const voice = req.voice?.trim() || settings.voice;
  if (!VOICE_ID.test(voice))
    throw refusedRequest(ELEVENLABS_PROVIDER, "voice", `'${voice.slice(0, 40)}' is not an ElevenLabs voice id`);
  const url = new URL(`${settings.baseUrl}/v1/text-to-speech/${voice}${stream ? "/stream" : ""}`);
  url.searchParams.set("output_format", outputFormat);
  return url.toString();
}

/** The request for either endpoint: the same JSON body and headers. */
export function speechInit(settings: ElevenLabsSettings, req: TtsRequest): RequestInit {
  return {
    method: "POST",
    headers: { ...authHeaders(settings), "Content-Type": "application/json" },
    // The language is not sent: language_code is refused by models that do not take it, and the
    // multilingual models read the language from the text.
    body: JSON.stringify({ text: req.text, model_id: settings.model }),
  };
}

export class ElevenLabsTextToSpeech implements TextToSpeech {
  readonly name = ELEVENLABS_PROVIDER;
  readonly region: string;
  readonly encodings: readonly TtsEncoding[] = ["pcm", "mp3"];

  constructor(
    private readonly settings: ElevenLabsSettings,
    private readonly options: ElevenLabsOptions = {},
  ) {
    this.region = settings.region;
  }

  async synthesize(req: TtsRequest, signal?: AbortSignal): Promise<TtsResult> {
    const output = elevenLabsOutput(req.encoding === "mp3" ? "mp3" : "pcm", req.sampleRate);
    const res = await providerFetch(
      speechUrl(this.settings, req, output.outputFormat, false),
      speechInit(this.settings, req),
      {
        provider: ELEVENLABS_PROVIDER,
        timeoutMs: this.settings.timeoutMs,
        signal,
        fetcher: withElevenLabsErrorDetail(this.options.fetcher),
      },
    ).catch(reclassify);
    return speechFromAnswer(ELEVENLABS_PROVIDER, res, output);
  }
}
