/**
 * ElevenLabs text to speech, streamed: POST {base}/v1/text-to-speech/{voice_id}/stream takes the
 * same body as the batch endpoint and "returns audio as an audio stream"
 * (https://elevenlabs.io/docs/api-reference/text-to-speech/stream); with output_format=pcm_<rate> the
 * stream is raw 16-bit little-endian samples, read here chunk by chunk.
 */
import { streamHttpPcm } from "../http-stream";
import type { PcmChunk, StreamingTextToSpeech } from "../streaming";
import type { TtsRequest } from "../types";
import { reclassify, withElevenLabsErrorDetail } from "./errors";
import { ELEVENLABS_PROVIDER, type ElevenLabsOptions, type ElevenLabsSettings } from "./settings";
import { elevenLabsPcm, speechInit, speechUrl } from "./tts";

export class ElevenLabsStreamingSynthesizer implements StreamingTextToSpeech {
  readonly name = ELEVENLABS_PROVIDER;
  readonly region: string;

  constructor(
    private readonly settings: ElevenLabsSettings,
    private readonly options: ElevenLabsOptions = {},
  ) {
    this.region = settings.region;
  }

  async *stream(req: TtsRequest, signal?: AbortSignal): AsyncGenerator<PcmChunk> {
    const output = elevenLabsPcm(req.sampleRate);
    yield* streamHttpPcm({
      provider: ELEVENLABS_PROVIDER,
      url: speechUrl(this.settings, req, output.outputFormat, true),
      init: speechInit(this.settings, req),
      timeoutMs: this.settings.timeoutMs,
      sampleRate: output.sampleRate,
      signal,
      fetcher: this.options.fetcher,
      decorate: withElevenLabsErrorDetail,
      reclassify,
    });
  }
}
