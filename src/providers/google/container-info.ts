/**
 * Just enough of each container's header to fill Google's RecognitionConfig and to refuse what
 * Speech-to-Text v1 cannot decode before paying for the call: the codec, channel count and the
 * sample rate the encoder declared. Nothing is decoded.
 */

export interface OggInfo {
  codec: "opus" | "vorbis" | "flac" | "speex" | "unknown";
  channels?: number;
  /** OpusHead "input sample rate" (0 = unspecified). */
  inputRate?: number;
}

/** The first Ogg page carries exactly the codec's identification header (RFC 7845 §3, Vorbis I §4.2). */
export function oggInfo(bytes: Uint8Array): OggInfo {
  if (!matches(bytes, 0, "OggS") || bytes.length < 28) return { codec: "unknown" };
  const packet = 27 + bytes[26]!;
  if (matches(bytes, packet, "OpusHead") && bytes.length >= packet + 16) {
    // RFC 7845 §5.1: version(1) channels(1) pre-skip(2) input sample rate(4, LE) ...
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return { codec: "opus", channels: bytes[packet + 9]!, inputRate: view.getUint32(packet + 12, true) };
  }
  if (matches(bytes, packet, "\x01vorbis")) return { codec: "vorbis" };
  if (matches(bytes, packet, "\x7fFLAC")) return { codec: "flac" };
  if (matches(bytes, packet, "Speex   ")) return { codec: "speex" };
  return { codec: "unknown" };
}

export interface FlacInfo {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
}

/** STREAMINFO (https://xiph.org/flac/format.html#metadata_block_streaminfo), after an optional ID3v2 tag. */
export function flacInfo(bytes: Uint8Array, start: number): FlacInfo | null {
  const info = start + 8; // "fLaC" + 4-byte metadata block header
  if (!matches(bytes, start, "fLaC") || bytes.length < info + 18) return null;
  const b = (i: number): number => bytes[info + i]!;
  return {
    sampleRate: (b(10) << 12) | (b(11) << 4) | (b(12) >> 4),
    channels: ((b(12) >> 1) & 0x07) + 1,
    bitsPerSample: (((b(12) & 0x01) << 4) | (b(13) >> 4)) + 1,
  };
}

export interface WebmInfo {
  codecId?: string;
  channels?: number;
  /** OpusHead input rate from CodecPrivate (0 = unspecified). */
  opusInputRate?: number;
  samplingFrequency?: number;
  durationMs?: number;
}

// Matroska element IDs (https://www.matroska.org/technical/elements.html), marker bits included.
const SEGMENT = 0x18538067;
const INFO = 0x1549a966;
const TRACKS = 0x1654ae6b;
const TRACK_ENTRY = 0xae;
const AUDIO = 0xe1;
const CLUSTER = 0x1f43b675;
const TIMESTAMP_SCALE = 0x2ad7b1;
const DURATION = 0x4489;
const TRACK_TYPE = 0x83;
const CODEC_ID = 0x86;
const CODEC_PRIVATE = 0x63a2;
const SAMPLING_FREQUENCY = 0xb5;
const CHANNELS = 0x9f;
const MASTERS = new Set([SEGMENT, INFO, TRACKS, TRACK_ENTRY, AUDIO]);

/**
 * Walks the EBML tree up to the first Cluster (the headers come before any audio) and reports the
 * first audio track. Browser recorders write the Segment with an unknown size; that is handled.
 */
export function webmInfo(bytes: Uint8Array): WebmInfo {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: WebmInfo = {};
  let scale = 1_000_000; // TimestampScale default: 1 ms in ns
  let rawDuration: number | undefined;
  let track: WebmInfo | null = null;
  let trackType: number | undefined;
  let elements = 0;

  const walk = (from: number, to: number): boolean => {
    let at = from;
    while (at < to && elements++ < 10_000) {
      const id = readVint(bytes, at, true);
      if (!id) return false;
      const size = readVint(bytes, at + id.length, false);
      if (!size) return false;
      const body = at + id.length + size.length;
      const end = size.unknown ? to : Math.min(to, body + size.value);
      if (id.value === CLUSTER) return false; // audio starts: every header we need is behind us
      if (MASTERS.has(id.value)) {
        if (id.value === TRACK_ENTRY) {
          track = {};
          trackType = undefined;
        }
        if (!walk(body, end)) return false;
        if (id.value === TRACK_ENTRY && track && !out.codecId && (trackType === 2 || track.codecId?.startsWith("A_")))
          Object.assign(out, track);
      } else if (size.unknown || body + size.value > bytes.length) {
        return false;
      } else {
        const len = size.value;
        if (id.value === TIMESTAMP_SCALE) scale = readUint(bytes, body, len);
        else if (id.value === DURATION) rawDuration = readFloat(view, body, len);
        else if (id.value === TRACK_TYPE) trackType = readUint(bytes, body, len);
        else if (track && id.value === CODEC_ID)
          track.codecId = String.fromCharCode(...bytes.subarray(body, body + len)).replace(/\0+$/, "");
        else if (track && id.value === CHANNELS) track.channels = readUint(bytes, body, len);
        else if (track && id.value === SAMPLING_FREQUENCY) track.samplingFrequency = readFloat(view, body, len);
        else if (track && id.value === CODEC_PRIVATE && matches(bytes, body, "OpusHead") && len >= 16)
          track.opusInputRate = view.getUint32(body + 12, true);
      }
      at = end;
    }
    return true;
  };

  walk(0, bytes.length);
  if (rawDuration !== undefined && rawDuration > 0) out.durationMs = Math.round((rawDuration * scale) / 1_000_000);
  return out;
}

/** EBML variable-length integer: IDs keep their length-marker bit, sizes drop it; all-ones sizes mean "unknown". */
function readVint(
  bytes: Uint8Array,
  at: number,
  keepMarker: boolean,
): { value: number; length: number; unknown: boolean } | null {
  const first = bytes[at];
  if (first === undefined || first === 0) return null;
  const length = Math.clz32(first) - 23; // 1 for 0b1xxxxxxx ... 8 for 0b00000001
  if (length > (keepMarker ? 4 : 8) || at + length > bytes.length) return null;
  const mask = 0xff >> length;
  let value = keepMarker ? first : first & mask;
  let allOnes = (first & mask) === mask;
  for (let i = 1; i < length; i++) {
    const b = bytes[at + i]!;
    value = value * 256 + b;
    if (b !== 0xff) allOnes = false;
  }
  return { value, length, unknown: !keepMarker && allOnes };
}

function readUint(bytes: Uint8Array, at: number, length: number): number {
  let value = 0;
  for (let i = 0; i < length && i < 8; i++) value = value * 256 + bytes[at + i]!;
  return value;
}

function readFloat(view: DataView, at: number, length: number): number | undefined {
  if (length === 4) return view.getFloat32(at);
  if (length === 8) return view.getFloat64(at);
  return undefined;
}

function matches(bytes: Uint8Array, at: number, magic: string): boolean {
  if (bytes.length < at + magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (bytes[at + i] !== magic.charCodeAt(i)) return false;
  return true;
}
