import { concatSamples } from "../lib/bytes";
import { pcm16ToSamples } from "./pcm";
import { aLawDecode, muLawDecode } from "./g711";
import { downmixToMono, resample } from "./resample";
import { encodeWav, parseWav } from "./wav";

/** One stored piece of call audio, as the call's Durable Object and the archive keep it. */
export interface AudioPiece {
  format: string;
  sampleRate: number;
  bytes: Uint8Array;
}

export const RECORDING_RATE = 16000;

/** Decodes a stored piece to mono PCM, or null for compressed containers we do not decode. */
export function pieceToPcm(piece: AudioPiece): { samples: Int16Array; sampleRate: number } | null {
  switch (piece.format) {
    case "wav": {
      const wav = parseWav(piece.bytes);
      let samples: Int16Array;
      if (wav.encoding === "mulaw") samples = muLawDecode(wav.data);
      else if (wav.encoding === "alaw") samples = aLawDecode(wav.data);
      else samples = pcm16ToSamples(wav.data, true);
      return { samples: downmixToMono(samples, wav.channels), sampleRate: wav.sampleRate };
    }
    case "pcm":
      return { samples: pcm16ToSamples(piece.bytes, true), sampleRate: piece.sampleRate };
    case "mulaw":
      return { samples: muLawDecode(piece.bytes), sampleRate: piece.sampleRate };
    default:
      return null;
  }
}

/**
 * The whole call as one listenable WAV: each turn's caller audio then the reply, at 16 kHz, with
 * 300 ms of silence between pieces. Compressed caller audio (Ogg, MP3...) is skipped and counted.
 */
export function buildRecording(pieces: AudioPiece[]): { wav: Uint8Array; skipped: number; durationMs: number } {
  const gap = new Int16Array(Math.round(RECORDING_RATE * 0.3));
  const parts: Int16Array[] = [];
  let skipped = 0;
  for (const piece of pieces) {
    const pcm = pieceToPcm(piece);
    if (!pcm) {
      skipped++;
      continue;
    }
    if (parts.length) parts.push(gap);
    parts.push(resample(pcm.samples, pcm.sampleRate, RECORDING_RATE));
  }
  const all = concatSamples(parts);
  return { wav: encodeWav(all, RECORDING_RATE), skipped, durationMs: Math.round((all.length / RECORDING_RATE) * 1000) };
}
