/**
 * Google Cloud Speech-to-Text v1, synchronous `speech:recognize` with inline audio.
 */
import type { Container, SpeechToText, SttInput, SttResult } from "../types";
import { bytesToBase64 } from "../../lib/base64";
import { parseAnswer } from "../validate";
import { postJson, type GoogleOptions } from "./call";
import { recognizeUrl, type GoogleLocation } from "./endpoints";
import type { GoogleSettings } from "./settings";
import { prepareAudio } from "./stt-audio";
import { mapRecognizeResponse, recognizeResponse } from "./stt-response";

/**
 * Model when GOOGLE_STT_MODEL is unset. latest_short is Google's pick "for short utterances that are a
 * few seconds in length ... commands or other single shot directed speech" (a caller's turn);
 * phone_call is "best for audio that originated from a phone call (typically recorded at an 8khz
 * sampling rate)". https://cloud.google.com/speech-to-text/docs/latest-models,
 * https://cloud.google.com/speech-to-text/docs/reference/rest/v1/RecognitionConfig (model).
 */
export function defaultModel(sampleRate: number | undefined): string {
  return sampleRate !== undefined && sampleRate <= 8000 ? "phone_call" : "latest_short";
}

export class GoogleSpeechToText implements SpeechToText {
  readonly name = "google";
  readonly region: GoogleLocation;
  readonly containers: readonly Container[] = ["ogg", "webm", "flac"];

  constructor(
    private readonly settings: GoogleSettings,
    private readonly options: GoogleOptions = {},
  ) {
    this.region = settings.location;
  }

  async transcribe(input: SttInput, signal?: AbortSignal): Promise<SttResult> {
    const audio = prepareAudio(input); // refuses before any network call
    const body = {
      config: {
        encoding: audio.encoding,
        ...(audio.sampleRateHertz !== undefined ? { sampleRateHertz: audio.sampleRateHertz } : {}),
        ...(audio.audioChannelCount !== undefined ? { audioChannelCount: audio.audioChannelCount } : {}),
        languageCode: input.language,
        model: this.settings.sttModel ?? defaultModel(audio.sampleRate),
        enableAutomaticPunctuation: true,
        enableWordTimeOffsets: true,
        enableWordConfidence: true,
      },
      // RecognitionAudio.content: "as with all bytes fields ... JSON representations use base64".
      audio: { content: bytesToBase64(audio.content) },
    };
    const json = await postJson(recognizeUrl(this.settings.location), body, this.settings, this.options, signal);
    return mapRecognizeResponse(parseAnswer("google", recognizeResponse, json));
  }
}
