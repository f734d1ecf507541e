/**
 * Byte <-> sample conversion for 16-bit PCM.
 *
 * Request bodies arrive as Uint8Array views at arbitrary byte offsets, and an Int16Array cannot be
 * laid over an odd offset (and would use host byte order anyway), so samples are read through a
 * DataView with explicit endianness: WAV is little-endian, audio/L16 (RFC 2586) is big-endian.
 */

/**
 * Whether typed arrays use little-endian order here (every CPU Workers run on does). Then
 * little-endian PCM and Int16Array share their layout, and a conversion is one native copy
 * instead of a loop over every sample: a reply of a few seconds is ~100,000 samples.
 */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reads `floor(bytes.length / 2)` signed 16-bit samples; a dangling odd byte is ignored. */
export function pcm16ToSamples(bytes: Uint8Array, littleEndian: boolean): Int16Array {
  const count = bytes.byteLength >> 1;
  // slice() copies into a fresh, aligned buffer: safe whatever the view's offset.
  if (littleEndian === HOST_LITTLE_ENDIAN) return new Int16Array(bytes.slice(0, count * 2).buffer);
  const out = new Int16Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, littleEndian);
  return out;
}

export function samplesToPcm16(samples: Int16Array, littleEndian: boolean): Uint8Array {
  if (littleEndian === HOST_LITTLE_ENDIAN) return new Uint8Array(samples.slice().buffer);
  const out = new Uint8Array(samples.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < samples.length; i++) view.setInt16(i * 2, samples[i]!, littleEndian);
  return out;
}
