/**
 * Base64 for audio payloads (reply audio, provider requests and answers) and JWTs. btoa/atob work on "binary strings";
 * audio can be megabytes, so bytes are converted in chunks whose length is a multiple of 3 (each chunk then encodes to
 * whole base64 quads and the pieces concatenate) and small enough for String.fromCharCode's argument limit.
 */
const CHUNK = 3 * 8192;

/**
 * Uint8Array.prototype.toBase64 (TC39, in workerd's V8; not yet in every runtime this code meets, nor in TypeScript's
 * lib).
 */
type WithToBase64 = Uint8Array & { toBase64?: () => string };

export function bytesToBase64(bytes: Uint8Array): string {
  // Native where the runtime has it: a spoken reply's audio is hundreds of kilobytes, and the
  // chunked btoa below was a fifth of a spoken turn's CPU (npm run bench:profile -- spoken-turn).
  // Same alphabet and padding.
  const native = (bytes as WithToBase64).toBase64;
  if (typeof native === "function") return native.call(bytes);
  let out = "";
  for (let i = 0; i < bytes.length; i += CHUNK) {
    out += btoa(String.fromCharCode(...bytes.subarray(i, i + CHUNK)));
  }
  return out;
}

/** Uint8Array.fromBase64 (TC39, in workerd's V8; not yet in TypeScript's lib). */
type WithFromBase64 = typeof Uint8Array & { fromBase64?: (text: string) => Uint8Array<ArrayBuffer> };

/**
 * Throws on text that is not base64 (a SyntaxError natively, a DOMException from atob). Both
 * accept what atob accepts: white space anywhere, the final padding left out.
 */
export function base64ToBytes(text: string): Uint8Array<ArrayBuffer> {
  // Native where the runtime has it: provider answers carry whole replies' audio as base64.
  const native = (Uint8Array as WithFromBase64).fromBase64;
  if (typeof native === "function") return native(text);
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** RFC 7515 §2 base64url without padding, as JWTs use. */
export function base64Url(data: Uint8Array | string): string {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  return bytesToBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Exact length of the base64 text for `byteLength` bytes, to check request size limits before encoding. */
export function base64Length(byteLength: number): number {
  return Math.ceil(byteLength / 3) * 4;
}
