import { AudioError } from "../../audio/errors";
import { pcm16ToSamples } from "../../audio/pcm";
import { downmixToMono } from "../../audio/resample";
import { sniffContainer } from "../../audio/sniff";
import { parseWav } from "../../audio/wav";
import { ProviderError, refusedRequest } from "../errors";
import type { EncodedSpeech, PcmSpeech, TextToSpeech, TtsEncoding, TtsRequest } from "../types";
import { outputBytes } from "./bytes";
import { invalidResponse, PROVIDER } from "./errors";
import { speaksLanguage } from "./language";
import { LINEAR16_RATES, TTS_VOICES } from "./models";
import { runModel } from "./run";
import { WORKERS_AI_REGION, type WorkersAiSettings } from "./settings";

/**
 * Deepgram Aura through Workers AI. Inputs `{text, speaker?, encoding?, container?, sample_rate?}`
 * (https://developers.cloudflare.com/workers-ai/models/aura-1/); the valid encoding/container/rate
 * combinations are Deepgram's (https://developers.deepgram.com/docs/tts-media-output-settings):
 * linear16 in wav at 8000-48000 Hz, mp3 (22050 Hz), opus in ogg (48000 Hz). The encoding is always
 * sent, since the binding's default answer is MP3.
 */
export class WorkersAiSpeechSynthesizer implements TextToSpeech {
  readonly name = PROVIDER;
  readonly region = WORKERS_AI_REGION;
  readonly encodings: readonly TtsEncoding[] = ["pcm", "mp3", "ogg"];

  /** `options` is the shape every adapter takes; this one calls the AI binding, not fetch. */
  constructor(
    private readonly settings: WorkersAiSettings,
    _options: { fetcher?: typeof fetch } = {},
  ) {}

  async synthesize(req: TtsRequest, signal?: AbortSignal): Promise<PcmSpeech | EncodedSpeech> {
    const model = this.settings.ttsModel;
    const { language, speakers } = TTS_VOICES[model];
    const text = req.text.trim();
    if (!text) throw new ProviderError(PROVIDER, "permanent", "nothing to synthesize: the text is empty");
    if (!speaksLanguage(req.language, language)) {
      throw refusedRequest(PROVIDER, "language", `${model} speaks '${language}' only, not '${req.language}'`);
    }
    const requested = req.voice?.trim().toLowerCase();
    if (requested && !speakers.includes(requested)) {
      throw refusedRequest(
        PROVIDER,
        "voice",
        `${model} has no speaker '${req.voice}'; its speakers are ${speakers.join(", ")}`,
      );
    }
    const speaker = requested || this.settings.ttsVoice;
    const encoding = req.encoding ?? "pcm";
    const inputs = { text, ...(speaker ? { speaker } : {}), ...outputFormat(encoding, req.sampleRate) };
    const bytes = await runModel(
      this.settings.ai,
      model,
      inputs,
      { timeoutMs: this.settings.timeoutMs, signal },
      outputBytes,
    );
    return toSpeech(encoding, bytes, inputs.sample_rate);
  }
}

/** The smallest linear16 rate at or above the one asked for (less to resample), else the highest. */
export function linear16Rate(wanted: number): number {
  return LINEAR16_RATES.find((r) => r >= wanted) ?? LINEAR16_RATES[LINEAR16_RATES.length - 1]!;
}

function outputFormat(
  encoding: TtsEncoding,
  sampleRate: number,
): { encoding: string; container?: string; sample_rate?: number } {
  switch (encoding) {
    case "pcm":
      return { encoding: "linear16", container: "wav", sample_rate: linear16Rate(sampleRate) };
    case "mp3":
      return { encoding: "mp3" };
    case "ogg":
      return { encoding: "opus", container: "ogg" };
  }
}

/** Checks the answer is what was asked for: a model that ignored `encoding` would otherwise mislabel audio. */
function toSpeech(encoding: TtsEncoding, bytes: Uint8Array, rate: number | undefined): PcmSpeech | EncodedSpeech {
  if (bytes.length === 0) throw invalidResponse("the speech answer is empty");
  const sniffed = sniffContainer(bytes);
  switch (encoding) {
    case "pcm":
      if (sniffed === "wav") return fromWav(bytes);
      // container "none" would be raw little-endian linear16; accept it at the rate we asked for.
      if (sniffed !== "unknown") throw invalidResponse(`asked for linear16 WAV, got ${sniffed}`);
      return { kind: "pcm", samples: pcm16ToSamples(bytes, true), sampleRate: rate ?? 24_000 };
    case "mp3":
      if (sniffed !== "mp3") throw invalidResponse(`asked for mp3, got ${sniffed}`);
      return { kind: "encoded", format: "mp3", mediaType: "audio/mpeg", bytes };
    case "ogg":
      if (sniffed !== "ogg") throw invalidResponse(`asked for Ogg Opus, got ${sniffed}`);
      return { kind: "encoded", format: "ogg", mediaType: "audio/ogg", bytes };
  }
}

function fromWav(bytes: Uint8Array): PcmSpeech {
  try {
    const wav = parseWav(bytes);
    if (wav.encoding !== "pcm16") throw invalidResponse(`asked for linear16, got ${wav.encoding} WAV`);
    return {
      kind: "pcm",
      samples: downmixToMono(pcm16ToSamples(wav.data, true), wav.channels),
      sampleRate: wav.sampleRate,
    };
  } catch (err) {
    if (err instanceof AudioError) throw invalidResponse(`the WAV answer is unusable: ${err.message}`);
    throw err;
  }
}
