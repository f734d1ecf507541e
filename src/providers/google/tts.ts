/**
 * Google Cloud Text-to-Speech v1 `text:synthesize`
 * (https://cloud.google.com/text-to-speech/docs/reference/rest/v1/text/synthesize):
 * {input: {text}, voice: {languageCode, name?}, audioConfig: {audioEncoding, sampleRateHertz?}} → {audioContent}.
 */
import { z } from "zod";
import { AudioError } from "../../audio/errors";
import { pcm16ToSamples } from "../../audio/pcm";
import { downmixToMono } from "../../audio/resample";
import { sniffContainer } from "../../audio/sniff";
import { parseWav } from "../../audio/wav";
import { ProviderError, refusedRequest } from "../errors";
import type { TextToSpeech, TtsEncoding, TtsRequest, TtsResult } from "../types";
import { base64ToBytes } from "../../lib/base64";
import { postJson, type GoogleOptions } from "./call";
import { synthesizeUrl, type GoogleLocation } from "./endpoints";
import type { GoogleSettings } from "./settings";

/**
 * https://cloud.google.com/text-to-speech/quotas#content_limits: "Total bytes per request: 5,000" (multi-byte scripts
 * count bytes).
 */
export const MAX_TEXT_BYTES = 5000;

/** Voice names are "<language>-<REGION>-<family>-<variant>", e.g. en-US-Neural2-C or cmn-CN-Wavenet-A. */
const VOICE_NAME = /^([a-z]{2,3}-[A-Z]{2})-[A-Za-z0-9-]+$/;

/** AudioEncoding values (https://cloud.google.com/text-to-speech/docs/reference/rest/v1/AudioConfig#audioencoding). */
const AUDIO_ENCODING: Record<TtsEncoding, "LINEAR16" | "MP3" | "OGG_OPUS"> = {
  pcm: "LINEAR16",
  mp3: "MP3",
  ogg: "OGG_OPUS",
};

const synthesizeResponse = z.object({ audioContent: z.string().min(1) });

export class GoogleTextToSpeech implements TextToSpeech {
  readonly name = "google";
  readonly region: GoogleLocation;
  readonly encodings: readonly TtsEncoding[] = ["pcm", "mp3", "ogg"];

  constructor(
    private readonly settings: GoogleSettings,
    private readonly options: GoogleOptions = {},
  ) {
    this.region = settings.location;
  }

  async synthesize(req: TtsRequest, signal?: AbortSignal): Promise<TtsResult> {
    const text = req.text.trim();
    if (!text) throw new ProviderError("google", "permanent", "nothing to synthesize: the text is empty");
    const size = new TextEncoder().encode(text).length;
    if (size > MAX_TEXT_BYTES)
      throw refusedRequest(
        "google",
        "text",
        `the text is ${size} bytes; Google Text-to-Speech takes at most ${MAX_TEXT_BYTES} bytes per request`,
      );

    const voiceName = req.voice ?? this.settings.ttsVoice;
    const locale = voiceName === undefined ? undefined : VOICE_NAME.exec(voiceName)?.[1];
    if (voiceName !== undefined && !locale) {
      throw refusedRequest(
        "google",
        "voice",
        `voice '${voiceName.slice(0, 64)}' is not a Google Text-to-Speech voice name (like en-US-Neural2-C)`,
      );
    }
    const encoding = req.encoding ?? "pcm";
    const body = {
      // Plain text, not SSML: JSON.stringify escapes it, and markup in it is read out rather than interpreted.
      input: { text },
      // VoiceSelectionParams.languageCode is required; a named voice only speaks its own locale, so that wins.
      voice: { languageCode: locale ?? req.language, ...(voiceName ? { name: voiceName } : {}) },
      audioConfig: {
        audioEncoding: AUDIO_ENCODING[encoding],
        // AudioConfig.sampleRateHertz: "the synthesizer will honor this request by converting to the desired sample
        // rate". Asked only for PCM; MP3/Opus keep the voice's natural rate (Opus takes only 8/12/16/24/48 kHz).
        ...(encoding === "pcm" ? { sampleRateHertz: req.sampleRate } : {}),
      },
    };
    const json = await postJson(synthesizeUrl(this.settings.location), body, this.settings, this.options, signal);
    const parsed = synthesizeResponse.safeParse(json);
    if (!parsed.success)
      throw new ProviderError("google", "invalid_response", "text:synthesize answered 200 without audioContent");
    let bytes: Uint8Array;
    try {
      bytes = base64ToBytes(parsed.data.audioContent);
    } catch {
      throw new ProviderError(
        "google",
        "invalid_response",
        "text:synthesize answered with audioContent that is not base64",
      );
    }
    return encoding === "pcm" ? pcmFromWav(bytes) : encoded(bytes, encoding);
  }
}

/** SynthesizeSpeechResponse.audioContent: "For LINEAR16 audio, we include the WAV header." */
function pcmFromWav(bytes: Uint8Array): TtsResult {
  let wav: ReturnType<typeof parseWav>;
  try {
    wav = parseWav(bytes);
  } catch (err) {
    throw new ProviderError(
      "google",
      "invalid_response",
      `LINEAR16 audio is not a readable WAV: ${err instanceof AudioError ? err.message : String(err)}`,
    );
  }
  if (wav.encoding !== "pcm16")
    throw new ProviderError("google", "invalid_response", `LINEAR16 audio came as ${wav.encoding} WAV`);
  return {
    kind: "pcm",
    samples: downmixToMono(pcm16ToSamples(wav.data, true), wav.channels),
    sampleRate: wav.sampleRate,
  };
}

/**
 * MP3 and OGG_OPUS come "including the header for encodings that are wrapped in containers": checked, then passed on.
 */
function encoded(bytes: Uint8Array, format: "mp3" | "ogg"): TtsResult {
  if (sniffContainer(bytes) !== format)
    throw new ProviderError(
      "google",
      "invalid_response",
      `audioContent is not ${format === "mp3" ? "MP3" : "Ogg"} audio`,
    );
  return { kind: "encoded", format, mediaType: format === "mp3" ? "audio/mpeg" : "audio/ogg;codecs=opus", bytes };
}
