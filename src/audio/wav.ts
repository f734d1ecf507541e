/**
 * RIFF/WAVE parsing and writing.
 *
 * The parser walks the chunk list instead of assuming the 44-byte canonical header, because real
 * uploads carry LIST/INFO, fact, bext, JUNK... chunks before the data, and WAVE_FORMAT_EXTENSIBLE
 * headers from Windows and pro-audio tools. It only accepts what the rest of the pipeline can use
 * (16-bit PCM, 8-bit G.711) and tells the client precisely what to change otherwise.
 */
import { AudioError } from "./errors";
import { samplesToPcm16 } from "./pcm";

export type WavEncoding = "pcm16" | "mulaw" | "alaw";

export interface ParsedWav {
  encoding: WavEncoding;
  sampleRate: number;
  channels: number;
  /** The sample bytes, trimmed to whole frames; a view into the input, not a copy. */
  data: Uint8Array;
}

export const MIN_SAMPLE_RATE = 8000;
export const MAX_SAMPLE_RATE = 48000;

const FORMAT_PCM = 0x0001;
const FORMAT_FLOAT = 0x0003;
const FORMAT_ALAW = 0x0006;
const FORMAT_MULAW = 0x0007;
const FORMAT_EXTENSIBLE = 0xfffe;

/**
 * Bytes 4..15 of every KSDATAFORMAT_SUBTYPE_* GUID that wraps a classic format tag (…-0000-0010-8000-00AA00389B71).
 */
const SUBFORMAT_GUID_TAIL = [0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];

/** Names for tags people actually send, so the error says "IMA ADPCM" instead of "0x0011". */
const FORMAT_NAMES: Record<number, string> = {
  0x0002: "Microsoft ADPCM",
  0x0003: "32-bit floating-point",
  0x0011: "IMA ADPCM",
  0x0031: "GSM 6.10",
  0x0050: "MPEG audio",
  0x0055: "MP3",
  0x0161: "Windows Media Audio",
};

/**
 * Sizes that streaming writers (ffmpeg to a pipe, live recorders) leave in the header when the length is not known yet.
 */
const UNKNOWN_SIZES = new Set([0, 0xffffffff]);

const ACCEPTED = "16-bit PCM, 8-bit mu-law or 8-bit A-law WAV, mono or stereo, 8000 to 48000 Hz";

interface WavFormat {
  encoding: WavEncoding;
  channels: number;
  sampleRate: number;
  blockAlign: number;
}

export function parseWav(bytes: Uint8Array): ParsedWav {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 12 || fourcc(bytes, 8) !== "WAVE") {
    throw new AudioError("invalid_audio", "The body is not a WAV file: it does not start with a RIFF/WAVE header.");
  }
  const riff = fourcc(bytes, 0);
  if (riff === "RIFX" || riff === "RF64") {
    throw new AudioError(
      "unsupported_media_type",
      "The WAV file uses the " +
        `${riff === "RIFX" ? "big-endian RIFX" : "RF64 (over 4 GB)"} variant; send a ` +
        `standard little-endian RIFF WAV (${ACCEPTED}).`,
    );
  }
  if (riff !== "RIFF") {
    throw new AudioError("invalid_audio", "The body is not a WAV file: it does not start with a RIFF/WAVE header.");
  }
  const streaming = UNKNOWN_SIZES.has(view.getUint32(4, true));

  let format: WavFormat | undefined;
  let pos = 12;
  for (;;) {
    if (pos + 8 > bytes.length) {
      throw new AudioError(
        "invalid_audio",
        format
          ? "The WAV file ends before its data chunk: it has a format " +
              "header but no audio samples. Send the complete file."
          : "The WAV file has no 'fmt ' chunk, so its sample format is unknown. Send a complete WAV file.",
      );
    }
    const id = fourcc(bytes, pos);
    const size = view.getUint32(pos + 4, true);
    const body = pos + 8;

    if (id === "data") {
      if (!format) {
        throw new AudioError(
          "invalid_audio",
          "The WAV file has its data chunk before the 'fmt ' chunk, so the " +
            "samples cannot be interpreted. Write the format header first.",
        );
      }
      return { ...formatInfo(format), data: dataChunk(bytes, body, size, streaming, format.blockAlign) };
    }

    if (body + size > bytes.length) {
      throw new AudioError(
        "invalid_audio",
        `The WAV file is truncated: its '${printable(id)}' chunk claims ` +
          `${size} bytes but the file ends first. Send the complete file.`,
      );
    }
    // A second fmt chunk is malformed but harmless; the first one describes the data.
    if (id === "fmt " && !format) format = parseFormat(bytes, view, body, size);
    pos = body + size + (size & 1); // chunks are word-aligned: odd sizes are followed by a pad byte
  }
}

function formatInfo(f: WavFormat): Omit<ParsedWav, "data"> {
  return { encoding: f.encoding, sampleRate: f.sampleRate, channels: f.channels };
}

function dataChunk(bytes: Uint8Array, start: number, size: number, streaming: boolean, blockAlign: number): Uint8Array {
  const available = bytes.length - start;
  let length: number;
  if (size === 0xffffffff || (size === 0 && streaming)) {
    // Header written before the length was known: the samples run to the end of the body.
    length = available;
  } else if (size <= available) {
    length = size; // anything after the data chunk (LIST, id3...) is metadata we do not need
  } else if (size - available <= blockAlign) {
    // Writers that count the pad byte, or flush all but a partial last frame: nothing audible is lost.
    length = available;
  } else {
    throw new AudioError(
      "invalid_audio",
      `The WAV file is truncated: its data chunk declares ${size} bytes of samples but only ${available} are ` +
        "present. Send the complete file, or fix the header sizes if it was written by a streaming recorder.",
    );
  }
  length -= length % blockAlign; // a partial final frame cannot be played
  if (length === 0) {
    throw new AudioError(
      "invalid_audio",
      "The WAV file contains no audio samples (its data chunk is empty). Send a recording with sound in it.",
    );
  }
  return bytes.subarray(start, start + length);
}

function parseFormat(bytes: Uint8Array, view: DataView, at: number, size: number): WavFormat {
  if (size < 16) {
    throw new AudioError(
      "invalid_audio",
      `The WAV file's 'fmt ' chunk is ${size} bytes, shorter than the 16 bytes every WAV format header needs.`,
    );
  }
  let tag = view.getUint16(at, true);
  const channels = view.getUint16(at + 2, true);
  const sampleRate = view.getUint32(at + 4, true);
  const bits = view.getUint16(at + 14, true);

  if (tag === FORMAT_EXTENSIBLE) {
    // WAVE_FORMAT_EXTENSIBLE: the real format is the first field of the SubFormat GUID at offset 24.
    if (size < 40) {
      throw new AudioError(
        "invalid_audio",
        "The WAV file uses WAVE_FORMAT_EXTENSIBLE but its 'fmt ' chunk is too " +
          "short to hold the sub-format. Send a complete WAV file.",
      );
    }
    const guid = at + 24;
    const wrapsClassicTag = SUBFORMAT_GUID_TAIL.every((b, i) => bytes[guid + 4 + i] === b);
    if (!wrapsClassicTag || view.getUint16(guid + 2, true) !== 0) {
      throw new AudioError(
        "unsupported_media_type",
        `The WAV file's extensible sub-format is not one this service decodes; send ${ACCEPTED}.`,
      );
    }
    tag = view.getUint16(guid, true);
  }

  let encoding: WavEncoding;
  if (tag === FORMAT_PCM && bits === 16) encoding = "pcm16";
  else if (tag === FORMAT_MULAW && bits === 8) encoding = "mulaw";
  else if (tag === FORMAT_ALAW && bits === 8) encoding = "alaw";
  else
    throw new AudioError(
      "unsupported_media_type",
      `The WAV file holds ${describeFormat(tag, bits)} samples; send ${ACCEPTED}.`,
    );

  if (channels === 0) {
    throw new AudioError(
      "invalid_audio",
      "The WAV file's format header says it has 0 channels. Send a mono or stereo recording.",
    );
  }
  if (channels > 2) {
    throw new AudioError("unsupported_media_type", `The WAV file has ${channels} channels; send mono or stereo audio.`);
  }
  if (sampleRate === 0) {
    throw new AudioError(
      "invalid_audio",
      "The WAV file's format header gives a sample rate of 0 Hz. Send a WAV file with a valid header.",
    );
  }
  if (sampleRate < MIN_SAMPLE_RATE || sampleRate > MAX_SAMPLE_RATE) {
    throw new AudioError(
      "unsupported_media_type",
      `The WAV file is sampled at ${sampleRate} Hz; send audio sampled between ` +
        `${MIN_SAMPLE_RATE} and ${MAX_SAMPLE_RATE} Hz (16000 Hz is ideal for speech).`,
    );
  }
  // The header's own blockAlign is ignored: some writers get it wrong, and it is implied by the rest.
  return { encoding, channels, sampleRate, blockAlign: channels * (bits / 8) };
}

function describeFormat(tag: number, bits: number): string {
  if (tag === FORMAT_PCM) return `${bits}-bit PCM`;
  if (tag === FORMAT_FLOAT) return `${bits}-bit floating-point`;
  if (tag === FORMAT_MULAW || tag === FORMAT_ALAW) return `${bits}-bit ${tag === FORMAT_MULAW ? "mu-law" : "A-law"}`;
  return FORMAT_NAMES[tag] ?? `format tag 0x${tag.toString(16).padStart(4, "0")}`;
}

function fourcc(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at] ?? 0, bytes[at + 1] ?? 0, bytes[at + 2] ?? 0, bytes[at + 3] ?? 0);
}

/** Chunk ids end up in client-facing messages; keep binary garbage out of them. */
function printable(id: string): string {
  return /^[\x20-\x7e]{4}$/.test(id) ? id.trimEnd() : "unknown";
}

/** Mono 16-bit PCM WAV with the canonical 44-byte header. */
export function encodeWav(samples: Int16Array, sampleRate: number): Uint8Array {
  return writeWav(FORMAT_PCM, 16, sampleRate, samplesToPcm16(samples, true), false);
}

/** Mono 8-bit G.711 WAV. Non-PCM WAV files must carry a fact chunk with the sample count (RIFF spec). */
export function encodeWavG711(bytes: Uint8Array, sampleRate: number, encoding: "mulaw" | "alaw"): Uint8Array {
  return writeWav(encoding === "mulaw" ? FORMAT_MULAW : FORMAT_ALAW, 8, sampleRate, bytes, true);
}

function writeWav(tag: number, bits: number, sampleRate: number, data: Uint8Array, nonPcm: boolean): Uint8Array {
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) throw new RangeError(`invalid sample rate ${sampleRate}`);
  const fmtSize = nonPcm ? 18 : 16; // non-PCM formats carry cbSize (0 here) after the 16 common bytes
  const factSize = nonPcm ? 12 : 0;
  const pad = data.length & 1;
  const headerSize = 12 + 8 + fmtSize + factSize + 8;
  const out = new Uint8Array(headerSize + data.length + pad);
  const view = new DataView(out.buffer);
  const blockAlign = bits / 8;
  let p = 0;
  const tagAt = (s: string): void => {
    for (let i = 0; i < 4; i++) out[p + i] = s.charCodeAt(i);
    p += 4;
  };
  const u32 = (v: number): void => {
    view.setUint32(p, v, true);
    p += 4;
  };
  const u16 = (v: number): void => {
    view.setUint16(p, v, true);
    p += 2;
  };
  tagAt("RIFF");
  u32(out.length - 8);
  tagAt("WAVE");
  tagAt("fmt ");
  u32(fmtSize);
  u16(tag);
  u16(1); // mono
  u32(sampleRate);
  u32(sampleRate * blockAlign); // byte rate
  u16(blockAlign);
  u16(bits);
  if (nonPcm) {
    u16(0); // cbSize
    tagAt("fact");
    u32(4);
    u32(data.length); // samples per channel
  }
  tagAt("data");
  u32(data.length); // the pad byte is not part of the chunk size
  out.set(data, p);
  return out;
}
