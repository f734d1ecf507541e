/**
 * Identifies an audio container from its first bytes, so a body can be checked against the
 * Content-Type its client declared (clients routinely send Ogg as audio/wav and vice versa, and a
 * mislabelled body would otherwise fail deep inside a speech provider with an opaque error).
 */
export type SniffedContainer = "wav" | "ogg" | "webm" | "mp3" | "flac" | "unknown";

export function sniffContainer(bytes: Uint8Array): SniffedContainer {
  // RIFX (big-endian) and RF64 are WAV variants too; parseWav explains that they are unsupported.
  if (startsWith(bytes, 0, "RIFF") || startsWith(bytes, 0, "RIFX") || startsWith(bytes, 0, "RF64")) {
    return startsWith(bytes, 8, "WAVE") ? "wav" : "unknown";
  }
  if (startsWith(bytes, 0, "OggS")) return "ogg";
  // EBML (WebM/Matroska)
  if (bytes[0] === 0x1a && bytes[1] === 0x45 && bytes[2] === 0xdf && bytes[3] === 0xa3) return "webm";
  if (startsWith(bytes, 0, "fLaC")) return "flac";
  if (startsWith(bytes, 0, "ID3")) {
    // ID3v2 tags also prefix some FLAC files; look past the tag before deciding it is MP3.
    const after = afterId3(bytes);
    return after !== null && startsWith(bytes, after, "fLaC") ? "flac" : "mp3";
  }
  if (isMpegAudioStream(bytes)) return "mp3";
  return "unknown";
}

function startsWith(bytes: Uint8Array, at: number, magic: string): boolean {
  if (bytes.length < at + magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (bytes[at + i] !== magic.charCodeAt(i)) return false;
  return true;
}

/** Offset just past a leading ID3v2 tag (header + syncsafe size + optional footer), or null if there is none. */
export function afterId3(bytes: Uint8Array): number | null {
  if (bytes.length < 10 || !startsWith(bytes, 0, "ID3")) return null;
  let size = 0;
  for (let i = 6; i < 10; i++) {
    const b = bytes[i]!;
    if (b & 0x80) return null; // syncsafe integers keep the top bit clear
    size = (size << 7) | b;
  }
  const footer = bytes[5]! & 0x10 ? 10 : 0;
  return 10 + size + footer;
}

// Bit rates in kbit/s by [version is MPEG-1][layer 1..3][index]; index 0 is "free format", 15 is invalid.
const BITRATES_V1 = [
  [],
  [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
];
const BITRATES_V2 = [
  [],
  [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
];
const SAMPLE_RATES_V1 = [44100, 48000, 32000];

interface MpegHeader {
  frameLength: number;
}

/**
 * An MPEG audio frame header: 11-bit sync (FF Ex/Fx) plus fields that must not hold reserved values.
 * Checking the fields, and a second header one frame later when the body is long enough, keeps raw
 * mu-law or L16 that happens to start with 0xFF bytes (mu-law silence is 0xFF) from looking like MP3.
 */
function mpegHeader(bytes: Uint8Array, at: number): MpegHeader | null {
  if (bytes.length < at + 4) return null;
  const b1 = bytes[at + 1]!;
  const b2 = bytes[at + 2]!;
  if (bytes[at] !== 0xff || (b1 & 0xe0) !== 0xe0) return null;
  const version = (b1 >> 3) & 3; // 0 = MPEG-2.5, 1 = reserved, 2 = MPEG-2, 3 = MPEG-1
  const layerBits = (b1 >> 1) & 3; // 0 = reserved (that pattern is AAC ADTS), 1 = III, 2 = II, 3 = I
  const bitrateIndex = b2 >> 4;
  const rateIndex = (b2 >> 2) & 3;
  const emphasis = bytes[at + 3]! & 3;
  if (version === 1 || layerBits === 0 || bitrateIndex === 15 || rateIndex === 3 || emphasis === 2) return null;
  const layer = 4 - layerBits;
  const mpeg1 = version === 3;
  const kbps = (mpeg1 ? BITRATES_V1 : BITRATES_V2)[layer]![bitrateIndex]!;
  // Free-format streams (index 0) are vanishingly rare, and a header with no length cannot be
  // confirmed by a second sync word, so they are not recognised.
  if (kbps === 0) return null;
  const sampleRate = SAMPLE_RATES_V1[rateIndex]! / (mpeg1 ? 1 : version === 2 ? 2 : 4);
  const padding = (b2 >> 1) & 1;
  const bps = kbps * 1000;
  let frameLength: number;
  if (layer === 1) frameLength = (Math.floor((12 * bps) / sampleRate) + padding) * 4;
  else if (layer === 3 && !mpeg1) frameLength = Math.floor((72 * bps) / sampleRate) + padding;
  else frameLength = Math.floor((144 * bps) / sampleRate) + padding;
  return { frameLength };
}

function isMpegAudioStream(bytes: Uint8Array): boolean {
  const first = mpegHeader(bytes, 0);
  if (!first) return false;
  if (bytes.length < first.frameLength + 4) return true; // too short to hold a second frame: the header is all we have
  return mpegHeader(bytes, first.frameLength) !== null;
}
