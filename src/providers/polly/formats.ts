import type { TtsEncoding } from "../types";
import type { PollyEngine } from "./settings";

/**
 * How our requested encoding and sample rate map onto Polly's OutputFormat/SampleRate, and what
 * Content-Type Polly answers with. All from the SynthesizeSpeech reference:
 * https://docs.aws.amazon.com/polly/latest/dg/API_SynthesizeSpeech.html
 *  - OutputFormat: mp3 | ogg_vorbis | pcm (| json for speech marks, which we never ask for);
 *  - SampleRate (a string): pcm takes "8000" and "16000"; mp3 and ogg_vorbis take "8000", "16000",
 *    "22050" and "24000", whose default is "22050" for standard voices and "24000" for neural,
 *    long-form and generative voices;
 *  - ContentType: audio/mpeg for mp3, audio/ogg for ogg_vorbis, and audio/pcm for pcm, "signed
 *    16-bit, 1 channel (mono), little-endian".
 */
export type PollyOutputFormat = "pcm" | "mp3" | "ogg_vorbis";

export interface PollyFormat {
  outputFormat: PollyOutputFormat;
  sampleRate: number;
  /** The Content-Type Polly documents for this OutputFormat (its answer must start with it). */
  contentType: string;
}

const PCM_RATES = [8000, 16000] as const;
const ENCODED_RATES = [8000, 16000, 22050, 24000] as const;

/** The standard engine renders at 22.05 kHz at most (its documented default); asking for more gains nothing. */
function encodedRates(engine: PollyEngine): readonly number[] {
  return engine === "standard" ? ENCODED_RATES.filter((r) => r <= 22050) : ENCODED_RATES;
}

/** The highest supported rate not above the requested one (the lowest when all are above). */
function pick(rates: readonly number[], requested: number): number {
  let best = rates[0]!;
  for (const r of rates) if (r <= requested) best = r;
  return best;
}

export function pollyFormat(encoding: TtsEncoding, requestedRate: number, engine: PollyEngine): PollyFormat {
  switch (encoding) {
    case "pcm":
      // PCM is resampled by the caller, so take 16 kHz for anything above 8 kHz rather than lose band.
      return {
        outputFormat: "pcm",
        sampleRate: requestedRate <= 8000 ? PCM_RATES[0] : PCM_RATES[1],
        contentType: "audio/pcm",
      };
    case "mp3":
      // Compressed audio cannot be resampled downstream: ask for the rate closest to the request.
      return { outputFormat: "mp3", sampleRate: pick(encodedRates(engine), requestedRate), contentType: "audio/mpeg" };
    case "ogg":
      return {
        outputFormat: "ogg_vorbis",
        sampleRate: pick(encodedRates(engine), requestedRate),
        contentType: "audio/ogg",
      };
  }
}
