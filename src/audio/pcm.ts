/**
 * Byte <-> sample conversion for 16-bit PCM.
 *
 * Request bodies arrive as Uint8Array views at arbitrary byte offsets, and an Int16Array cannot be
 * laid over an odd offset (and would use host byte order anyway), so samples are read through a
 * DataView with explicit endianness: WAV is little-endian, audio/L16 (RFC 2586) is big-endian.
 */

/** Reads `floor(bytes.length / 2)` signed 16-bit samples; a dangling odd byte is ignored. */
export function pcm16ToSamples(bytes: Uint8Array, littleEndian: boolean): Int16Array {
  const count = bytes.byteLength >> 1;
  const out = new Int16Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, littleEndian);
  return out;
}

export function samplesToPcm16(samples: Int16Array, littleEndian: boolean): Uint8Array {
  const out = new Uint8Array(samples.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < samples.length; i++) view.setInt16(i * 2, samples[i]!, littleEndian);
  return out;
}
