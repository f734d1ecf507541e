/** Small WebCrypto helpers shared by key handling and idempotency fingerprints. */

export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let out = "";
  for (const b of view) out += b.toString(16).padStart(2, "0");
  return out;
}

export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  return toHex(await crypto.subtle.digest("SHA-256", bytes));
}

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/**
 * Uniform random [A-Za-z0-9]{length} from the platform CSPRNG. Bytes >= 248 are rejected so
 * `byte % 62` carries no modulo bias (248 = 4 * 62); each character holds log2(62) ≈ 5.95 bits.
 */
export function randomAlphanumeric(length: number): string {
  let out = "";
  while (out.length < length) {
    for (const b of crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (b < 248 && out.length < length) out += ALPHANUMERIC[b % 62];
    }
  }
  return out;
}

/**
 * Constant-time comparison of two equal-purpose secrets. Both sides are hashed first so the
 * comparison time does not depend on where they differ or on their lengths; workerd's
 * crypto.subtle.timingSafeEqual does the byte comparison.
 */
export async function timingSafeEqualStrings(a: string, b: string): Promise<boolean> {
  const enc = new TextEncoder();
  const [ha, hb] = await Promise.all([
    crypto.subtle.digest("SHA-256", enc.encode(a)),
    crypto.subtle.digest("SHA-256", enc.encode(b)),
  ]);
  return crypto.subtle.timingSafeEqual(ha, hb);
}

/**
 * Constant-time comparison of two hex digests (a key's SHA-256 against the stored one). A digest's
 * length is no secret, so equal lengths are compared byte for byte by workerd's timingSafeEqual
 * without hashing them again: the check runs on every request.
 */
export function digestsEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  const enc = new TextEncoder();
  return crypto.subtle.timingSafeEqual(enc.encode(a), enc.encode(b));
}

/** HMAC-SHA-256 of `data` under a raw key, as hex. */
export async function hmacSha256Hex(key: Uint8Array, data: string): Promise<string> {
  const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return toHex(await crypto.subtle.sign("HMAC", k, new TextEncoder().encode(data)));
}
