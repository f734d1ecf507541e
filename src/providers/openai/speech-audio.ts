import { AudioError } from "../../audio/errors";
import { pcm16ToSamples } from "../../audio/pcm";
import { downmixToMono } from "../../audio/resample";
import { sniffContainer } from "../../audio/sniff";
import { parseWav } from "../../audio/wav";
import { ProviderError } from "../errors";
import type { EncodedSpeech, PcmSpeech, TtsEncoding } from "../types";
import { PROVIDER } from "./errors";

/**
 * response_format "pcm": "raw samples in 24kHz (16-bit signed, low-endian), without the header"
 * (https://platform.openai.com/docs/guides/text-to-speech).
 */
export const OPENAI_PCM_RATE = 24_000;

const invalid = (message: string) => new ProviderError(PROVIDER, "invalid_response", message);

/**
 * Turns the speech endpoint's bytes into our result, checking they are what we asked for:
 * self-hosted servers are known to ignore response_format and answer WAV (or JSON) instead, which
 * must not reach a client labelled as mp3/ogg. WAV in answer to "pcm" is accepted (its header
 * gives the true rate).
 */
export function toSpeech(
  encoding: TtsEncoding,
  bytes: Uint8Array,
  contentType: string | null,
): PcmSpeech | EncodedSpeech {
  if (bytes.length === 0) throw invalid("the speech answer is empty");
  if (/json|^text\//i.test(contentType ?? "")) throw invalid(`the speech answer is ${contentType}, not audio`);
  const sniffed = sniffContainer(bytes);
  switch (encoding) {
    case "pcm":
      if (sniffed === "wav") return fromWav(bytes);
      // Raw PCM has no signature to check; anything recognisable as a container is not it.
      if (sniffed !== "unknown") throw invalid(`asked for raw PCM, got ${sniffed}`);
      return { kind: "pcm", samples: pcm16ToSamples(bytes, true), sampleRate: OPENAI_PCM_RATE };
    case "mp3":
      if (sniffed !== "mp3") throw invalid(`asked for mp3, got ${sniffed}`);
      return { kind: "encoded", format: "mp3", mediaType: "audio/mpeg", bytes };
    case "ogg":
      // "opus" answers are Opus in an Ogg container (RFC 7845), starting with the "OggS" capture pattern.
      if (sniffed !== "ogg") throw invalid(`asked for Ogg Opus, got ${sniffed}`);
      return { kind: "encoded", format: "ogg", mediaType: "audio/ogg", bytes };
  }
}

function fromWav(bytes: Uint8Array): PcmSpeech {
  try {
    const wav = parseWav(bytes);
    if (wav.encoding !== "pcm16") throw invalid(`asked for 16-bit PCM, got ${wav.encoding} WAV`);
    return {
      kind: "pcm",
      samples: downmixToMono(pcm16ToSamples(wav.data, true), wav.channels),
      sampleRate: wav.sampleRate,
    };
  } catch (err) {
    if (err instanceof AudioError) throw invalid(`the WAV answer is unusable: ${err.message}`);
    throw err;
  }
}
