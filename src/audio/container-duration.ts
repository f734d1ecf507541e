/**
 * Duration of compressed containers, where it can be read from a header without decoding.
 *
 * The Worker does not decode FLAC/Ogg (providers do), but it must still enforce the per-request
 * duration limit before paying for a provider call. FLAC states its total sample count in the
 * mandatory STREAMINFO block; Ogg Vorbis/Opus pages carry a granule position (samples so far), so
 * the last page gives the length. MP3 and WebM only say so in optional headers: we report null.
 */
import { AudioError } from "./errors";
import { afterId3 } from "./sniff";

export function flacDurationMs(bytes: Uint8Array): number | null {
  const start = afterId3(bytes) ?? 0;
  // "fLaC", then a 4-byte block header whose type (low 7 bits) must be 0 = STREAMINFO, 34 bytes long.
  const info = start + 8;
  if (bytes.length < info + 18 || (bytes[start + 4]! & 0x7f) !== 0) {
    throw new AudioError(
      "invalid_audio",
      "The FLAC stream does not begin with the STREAMINFO block every " +
        "FLAC file must have. Send a complete, valid FLAC file.",
    );
  }
  const b = (i: number): number => bytes[info + i]!;
  // Bytes 10..17 of STREAMINFO pack: sample rate (20 bits), channels-1 (3), bits-1 (5), total samples (36).
  const sampleRate = (b(10) << 12) | (b(11) << 4) | (b(12) >> 4);
  if (sampleRate === 0) {
    throw new AudioError(
      "invalid_audio",
      "The FLAC STREAMINFO block gives a sample rate of 0 Hz. Send a valid FLAC file.",
    );
  }
  const totalSamples = (b(13) & 0x0f) * 2 ** 32 + ((b(14) << 24) >>> 0) + (b(15) << 16) + (b(16) << 8) + b(17);
  // 0 means "unknown" (streamed encode)
  return totalSamples === 0 ? null : Math.round((totalSamples * 1000) / sampleRate);
}

/** A page header is 27 bytes plus its segment table; a page is at most 65,307 bytes long. */
const OGG_MAX_PAGE = 65307;

export function oggDurationMs(bytes: Uint8Array): number | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 28 || !isPage(bytes, 0)) return null;
  const serial = view.getUint32(14, true);
  const packet = 27 + bytes[26]!; // the first page holds just the codec identification header
  let rate: number;
  let preSkip = 0;
  if (matches(bytes, packet, "\x01vorbis") && bytes.length >= packet + 16) {
    rate = view.getUint32(packet + 12, true); // Vorbis granules count samples at the stream rate
  } else if (matches(bytes, packet, "OpusHead") && bytes.length >= packet + 12) {
    rate = 48000; // Opus granules always count 48 kHz samples, whatever the input rate was
    preSkip = view.getUint16(packet + 10, true); // encoder priming samples, not part of the audio
  } else {
    return null; // Speex, Ogg FLAC...: rare enough not to special-case
  }
  if (rate === 0) return null;

  // Scan back for the last page of this stream that finishes a packet (granule -1 means none does).
  const floor = Math.max(0, bytes.length - 2 * OGG_MAX_PAGE);
  for (let at = bytes.length - 27; at >= floor; at--) {
    if (!isPage(bytes, at) || view.getUint32(at + 14, true) !== serial) continue;
    const lo = view.getUint32(at + 6, true);
    const hi = view.getUint32(at + 10, true);
    if (hi === 0xffffffff && lo === 0xffffffff) continue;
    if (hi >= 0x200000) return null; // beyond 2^53 samples: a corrupt page, not a real length
    const samples = hi * 2 ** 32 + lo - preSkip;
    return samples > 0 ? Math.round((samples * 1000) / rate) : null;
  }
  return null;
}

function isPage(bytes: Uint8Array, at: number): boolean {
  return matches(bytes, at, "OggS") && bytes[at + 4] === 0; // stream structure version 0
}

function matches(bytes: Uint8Array, at: number, magic: string): boolean {
  if (bytes.length < at + magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (bytes[at + i] !== magic.charCodeAt(i)) return false;
  return true;
}
