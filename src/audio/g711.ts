/**
 * ITU-T G.711 companding (mu-law for North America/Japan telephony, A-law elsewhere).
 *
 * Decoding is a 256-entry lookup. Encoding is also a lookup, indexed by the sample with the bits
 * G.711 discards already dropped (14 significant bits for mu-law, 13 for A-law), so a 5-minute call
 * encodes without a per-sample segment search. Tables are built on first use, not at import, so
 * Workers that never touch G.711 pay nothing at startup.
 *
 * The arithmetic follows the ITU-T G.191 reference (Sun's g711.c), which truncates 16-bit input to
 * 14/13 bits; ffmpeg does the same. Decoding matches sox bit for bit; sox's encoder rounds instead
 * of truncating, so it picks the neighbouring code for a few inputs right on a step boundary.
 */

const MULAW_BIAS = 0x84; // 132: added before the segment search so each segment is a power of two wide
const MULAW_CLIP = 8159; // largest 14-bit magnitude that still fits after the bias

let muDecodeTable: Int16Array | undefined;
let muEncodeTable: Uint8Array | undefined;
let aDecodeTable: Int16Array | undefined;
let aEncodeTable: Uint8Array | undefined;

function muLawDecodeOne(code: number): number {
  const u = ~code & 0xff; // codes are transmitted inverted (keeps the line busy with 1s on silence)
  let t = ((u & 0x0f) << 3) + MULAW_BIAS;
  t <<= (u & 0x70) >> 4;
  return u & 0x80 ? MULAW_BIAS - t : t - MULAW_BIAS;
}

/** `value14` is a 16-bit sample arithmetically shifted right by 2. */
function muLawEncodeOne(value14: number): number {
  let v = value14;
  let mask = 0xff;
  if (v < 0) {
    v = -v;
    mask = 0x7f;
  }
  if (v > MULAW_CLIP) v = MULAW_CLIP;
  v += MULAW_BIAS >> 2;
  let seg = 0;
  while (seg < 8 && v >= 0x40 << seg) seg++; // segment ends 0x3f, 0x7f, 0xff, ...
  if (seg >= 8) return 0x7f ^ mask;
  return ((seg << 4) | ((v >> (seg + 1)) & 0x0f)) ^ mask;
}

function aLawDecodeOne(code: number): number {
  const a = code ^ 0x55; // even bits are inverted on the line
  let t = (a & 0x0f) << 4;
  const seg = (a & 0x70) >> 4;
  if (seg === 0) t += 8;
  else if (seg === 1) t += 0x108;
  else t = (t + 0x108) << (seg - 1);
  return a & 0x80 ? t : -t;
}

/** `value13` is a 16-bit sample arithmetically shifted right by 3. */
function aLawEncodeOne(value13: number): number {
  let v = value13;
  let mask = 0xd5;
  if (v < 0) {
    mask = 0x55;
    v = -v - 1;
  }
  let seg = 0;
  while (seg < 8 && v >= 0x20 << seg) seg++; // segment ends 0x1f, 0x3f, 0x7f, ...
  if (seg >= 8) return 0x7f ^ mask;
  const quant = seg < 2 ? (v >> 1) & 0x0f : (v >> seg) & 0x0f;
  return ((seg << 4) | quant) ^ mask;
}

function muTables(): { dec: Int16Array; enc: Uint8Array } {
  if (!muDecodeTable || !muEncodeTable) {
    muDecodeTable = new Int16Array(256);
    for (let c = 0; c < 256; c++) muDecodeTable[c] = muLawDecodeOne(c);
    muEncodeTable = new Uint8Array(1 << 14);
    for (let i = 0; i < 1 << 14; i++) muEncodeTable[i] = muLawEncodeOne(i - (1 << 13));
  }
  return { dec: muDecodeTable, enc: muEncodeTable };
}

function aTables(): { dec: Int16Array; enc: Uint8Array } {
  if (!aDecodeTable || !aEncodeTable) {
    aDecodeTable = new Int16Array(256);
    for (let c = 0; c < 256; c++) aDecodeTable[c] = aLawDecodeOne(c);
    aEncodeTable = new Uint8Array(1 << 13);
    for (let i = 0; i < 1 << 13; i++) aEncodeTable[i] = aLawEncodeOne(i - (1 << 12));
  }
  return { dec: aDecodeTable, enc: aEncodeTable };
}

export function muLawDecode(bytes: Uint8Array): Int16Array {
  const { dec } = muTables();
  const out = new Int16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = dec[bytes[i]!]!;
  return out;
}

export function muLawEncode(samples: Int16Array): Uint8Array {
  const { enc } = muTables();
  const out = new Uint8Array(samples.length);
  // (s >> 2) keeps the 14 bits mu-law uses; + 8192 turns the signed value into a table index.
  for (let i = 0; i < samples.length; i++) out[i] = enc[(samples[i]! >> 2) + 8192]!;
  return out;
}

export function aLawDecode(bytes: Uint8Array): Int16Array {
  const { dec } = aTables();
  const out = new Int16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = dec[bytes[i]!]!;
  return out;
}

export function aLawEncode(samples: Int16Array): Uint8Array {
  const { enc } = aTables();
  const out = new Uint8Array(samples.length);
  // (s >> 3) keeps the 13 bits A-law uses; + 4096 turns the signed value into a table index.
  for (let i = 0; i < samples.length; i++) out[i] = enc[(samples[i]! >> 3) + 4096]!;
  return out;
}
