import { z } from "zod";
import { base64ToBytes } from "../lib/base64";
import { ApiError } from "../lib/errors";

/**
 * Encryption at rest for everything this Worker writes to R2 (transcripts, turn audio, recordings,
 * cached speech): AES-256-GCM through WebCrypto, a random 96-bit IV per object, a 128-bit tag.
 *
 * Keys come from the secret ARCHIVE_KEYS: `keyId:base64(32 bytes)` entries separated by commas.
 * The FIRST entry encrypts new writes; every entry decrypts. Rotation: prepend a new entry and
 * deploy; keep the old ones until no object uses them (COLD_RETENTION_DAYS after the rotation at
 * the latest, when the retention cron has deleted every older archive).
 *
 * Object format, version 1. The header travels inside the body, so an object copied out of R2
 * (a backup, rclone to disk: tools that may drop custom metadata) still says how to decrypt it:
 *
 *   offset   size  field
 *   0        5     magic "VEENC"
 *   5        1     format version (1)
 *   6        1     key id length n (1..32)
 *   7        n     key id (ASCII)
 *   7+n      12    IV (random per object)
 *   19+n     ...   AES-256-GCM ciphertext, then its 16-byte tag
 *
 * AAD = the header, then the UTF-8 R2 object key: the key id cannot be swapped, and a ciphertext
 * copied to another object key (another call, another tenant) fails to decrypt.
 *
 * The key id is also written to R2 custom metadata (`ve-enc`, `ve-kid`) as an index only, never
 * trusted when decrypting: `bucket.list({ include: ["customMetadata"] })` shows which keys objects
 * still use before an old key is retired.
 *
 * Reads fail closed: an object without the header (written before encryption, or by something
 * else), one under a key id ARCHIVE_KEYS does not hold, or one whose tag does not verify throws an
 * ApiError; ciphertext or unauthenticated bytes are never returned as content. Legacy plaintext
 * objects are refused rather than read: no deployment holds plaintext archives, and a "read
 * plaintext too" switch would let anyone with R2 write access plant content the API serves as
 * authentic.
 */

export const ENCRYPTION_ALG = "aes-256-gcm";
const MAGIC = new TextEncoder().encode("VEENC");
const VERSION = 1;
const IV_BYTES = 12;
const TAG_BITS = 128;
const KEY_BYTES = 32;
const KID = /^[A-Za-z0-9_-]{1,32}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** Domain separation for the key that names cached speech (see cacheNameKey). */
const CACHE_NAME_INFO = new TextEncoder().encode("voice-edge tts-cache object names v1");

const Entry = z.string().transform((entry, ctx) => {
  // Messages never quote the entry: a malformed one may be (part of) the secret itself.
  const sep = entry.indexOf(":");
  if (sep < 0) {
    ctx.addIssue({ code: "custom", message: "must look like keyId:base64key" });
    return z.NEVER;
  }
  const kid = entry.slice(0, sep).trim();
  const b64 = entry.slice(sep + 1).trim();
  if (!KID.test(kid)) {
    ctx.addIssue({ code: "custom", message: "the key id must be 1-32 characters of A-Z, a-z, 0-9, _ and -" });
    return z.NEVER;
  }
  if (!BASE64.test(b64)) {
    ctx.addIssue({ code: "custom", message: "the key is not base64 (make one with `openssl rand -base64 32`)" });
    return z.NEVER;
  }
  const raw = base64ToBytes(b64);
  if (raw.byteLength !== KEY_BYTES) {
    ctx.addIssue({
      code: "custom",
      message:
        `the key must be ${KEY_BYTES} bytes for AES-256, not ` +
        `${raw.byteLength} (make one with \`openssl rand -base64 32\`)`,
    });
    return z.NEVER;
  }
  return { kid, raw };
});

const ArchiveKeysSchema = z
  .string()
  .transform((v) =>
    v
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  )
  .pipe(z.array(Entry).min(1, "is empty"))
  .superRefine((entries, ctx) => {
    const seen = new Map<string, number>();
    entries.forEach((e, i) => {
      const first = seen.get(e.kid);
      if (first !== undefined)
        ctx.addIssue({ code: "custom", path: [i], message: `repeats the key id of entry ${first + 1}` });
      else seen.set(e.kid, i);
    });
  });

/** ARCHIVE_KEYS is malformed; the message names the setting and the entry, never a value. */
export class ArchiveKeysError extends Error {}

/** The keys of one deployment. Key material stays inside; CryptoKeys are imported on first use. */
export class ArchiveKeyring {
  readonly currentKid: string;
  readonly kids: readonly string[];
  readonly #raw: Map<string, Uint8Array<ArrayBuffer>>;
  readonly #imported = new Map<string, Promise<CryptoKey>>();
  readonly #derived = new Map<string, Promise<CryptoKey>>();
  #nameKey: Promise<CryptoKey> | undefined;

  constructor(entries: readonly { kid: string; raw: Uint8Array<ArrayBuffer> }[]) {
    const [first] = entries;
    if (!first) throw new ArchiveKeysError("ARCHIVE_KEYS: is empty");
    this.currentKid = first.kid;
    this.kids = entries.map((e) => e.kid);
    this.#raw = new Map(entries.map((e) => [e.kid, e.raw]));
  }

  has(kid: string): boolean {
    return this.#raw.has(kid);
  }

  /** The AES-GCM key for `kid`, or null when this keyring does not hold it. */
  cryptoKey(kid: string): Promise<CryptoKey> | null {
    const raw = this.#raw.get(kid);
    if (!raw) return null;
    let key = this.#imported.get(kid);
    if (!key) {
      key = crypto.subtle.importKey("raw", raw, { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
      this.#imported.set(kid, key);
    }
    return key;
  }

  /**
   * An HMAC-SHA256 key derived (HKDF) from the current key, for naming cached speech: object names
   * are then keyed hashes that someone reading R2 cannot recompute to confirm a guessed text. A
   * rotation renames the cache (every entry misses once and the old ones expire with their TTL).
   */
  cacheNameKey(): Promise<CryptoKey> {
    this.#nameKey ??= (async () => {
      const ikm = await crypto.subtle.importKey(
        "raw",
        this.#raw.get(this.currentKid) as Uint8Array<ArrayBuffer>,
        "HKDF",
        false,
        ["deriveKey"],
      );
      return crypto.subtle.deriveKey(
        { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: CACHE_NAME_INFO },
        ikm,
        { name: "HMAC", hash: "SHA-256", length: 256 },
        false,
        ["sign"],
      );
    })();
    return this.#nameKey;
  }

  /**
   * An HMAC-SHA256 key derived (HKDF, `info` as domain separation) from the key `kid` (default:
   * the current one), or null when the keyring lacks `kid`: for short-lived signatures such as
   * recording links (src/events/recording-url.ts), which name the kid they were made with so a
   * rotation does not break links in flight.
   */
  signingKey(info: string, kid: string = this.currentKid): Promise<CryptoKey> | null {
    const raw = this.#raw.get(kid);
    if (!raw) return null;
    const id = `${kid}\n${info}`;
    let key = this.#derived.get(id);
    if (!key) {
      key = crypto.subtle
        .importKey("raw", raw, "HKDF", false, ["deriveKey"])
        .then((ikm) =>
          crypto.subtle.deriveKey(
            { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: utf8(info) },
            ikm,
            { name: "HMAC", hash: "SHA-256", length: 256 },
            false,
            ["sign", "verify"],
          ),
        );
      this.#derived.set(id, key);
    }
    return key;
  }
}

/** Parses an ARCHIVE_KEYS value; throws ArchiveKeysError naming the setting (never a value). */
export function parseArchiveKeys(value: string | undefined): ArchiveKeyring {
  if (value === undefined || !value.trim()) throw new ArchiveKeysError("ARCHIVE_KEYS is not set");
  const parsed = ArchiveKeysSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) =>
      typeof i.path[0] === "number" ? `entry ${i.path[0] + 1} ${i.message}` : i.message,
    );
    throw new ArchiveKeysError(`ARCHIVE_KEYS is invalid: ${issues.join("; ")}`);
  }
  return new ArchiveKeyring(parsed.data);
}

export interface ArchiveKeysEnv {
  readonly ARCHIVE_KEYS?: string | undefined;
}

export type KeyringState = { ok: true; keyring: ArchiveKeyring } | { ok: false; problem: string };

const states = new WeakMap<object, KeyringState>();

/** The env's keyring, or why there is none; parsed once per env object, like getConfig. */
export function archiveKeyringState(env: ArchiveKeysEnv): KeyringState {
  let state = states.get(env);
  if (!state) {
    try {
      state = { ok: true, keyring: parseArchiveKeys(env.ARCHIVE_KEYS) };
    } catch (err) {
      if (!(err instanceof ArchiveKeysError)) throw err;
      state = { ok: false, problem: err.message };
    }
    states.set(env, state);
  }
  return state;
}

/** The 503 for a deployment without usable ARCHIVE_KEYS; `problem` (logs only) says what is wrong with it. */
export function archiveKeysUnavailable(problem: string): ApiError {
  return new ApiError(
    503,
    "archive_key_unavailable",
    "Archived calls are encrypted and this deployment has no usable " +
      "archive keys (ARCHIVE_KEYS); an operator must configure them.",
    {
      internal: problem,
    },
  );
}

/** The env's keyring; without a usable ARCHIVE_KEYS a 503 that names the setting, never a fallback to plaintext. */
export function archiveKeyring(env: ArchiveKeysEnv): ArchiveKeyring {
  const state = archiveKeyringState(env);
  if (state.ok) return state.keyring;
  throw archiveKeysUnavailable(state.problem);
}

export interface EncryptedObject {
  body: Uint8Array<ArrayBuffer>;
  /** R2 customMetadata: an index of the key used (the body's header is what decryption trusts). */
  metadata: Record<string, string>;
}

function header(kid: string, iv: Uint8Array): Uint8Array<ArrayBuffer> {
  const kidBytes = new TextEncoder().encode(kid);
  const out = new Uint8Array(MAGIC.length + 2 + kidBytes.length + IV_BYTES);
  out.set(MAGIC, 0);
  out[MAGIC.length] = VERSION;
  out[MAGIC.length + 1] = kidBytes.length;
  out.set(kidBytes, MAGIC.length + 2);
  out.set(iv, MAGIC.length + 2 + kidBytes.length);
  return out;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
}

const utf8 = (s: string) => new TextEncoder().encode(s);

/** Encrypts `bytes` for the R2 object `objectKey` under the keyring's current key. */
export async function encryptObject(
  keyring: ArchiveKeyring,
  objectKey: string,
  bytes: Uint8Array | string,
): Promise<EncryptedObject> {
  const kid = keyring.currentKid;
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const head = header(kid, iv);
  const plaintext = typeof bytes === "string" ? utf8(bytes) : bytes;
  const ciphertext = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: concat(head, utf8(objectKey)), tagLength: TAG_BITS },
    await (keyring.cryptoKey(kid) as Promise<CryptoKey>),
    plaintext as Uint8Array<ArrayBuffer>,
  );
  return {
    body: concat(head, new Uint8Array(ciphertext)),
    metadata: { "ve-enc": `${ENCRYPTION_ALG}-v${VERSION}`, "ve-kid": kid },
  };
}

function unreadable(objectKey: string, why: string, cause?: unknown): ApiError {
  return new ApiError(
    500,
    "archive_unreadable",
    "Archived data could not be decrypted: it is damaged or was not " +
      "written by this service. Nothing of it is returned.",
    {
      internal: `R2 object '${objectKey}': ${why}`,
      cause,
    },
  );
}

/** The key id of an encrypted body, or null when `body` does not start with a version-1 header. */
export function encryptedKid(body: Uint8Array): string | null {
  if (body.byteLength < MAGIC.length + 2) return null;
  for (let i = 0; i < MAGIC.length; i++) if (body[i] !== MAGIC[i]) return null;
  if (body[MAGIC.length] !== VERSION) return null;
  const n = body[MAGIC.length + 1] ?? 0;
  if (n < 1 || body.byteLength < MAGIC.length + 2 + n + IV_BYTES + TAG_BITS / 8) return null;
  const kid = new TextDecoder().decode(body.subarray(MAGIC.length + 2, MAGIC.length + 2 + n));
  return KID.test(kid) ? kid : null;
}

/**
 * Decrypts a body written by encryptObject for the same `objectKey`. Fails closed: a body that is
 * not encrypted, a key id the keyring lacks, or a failed tag check throws an ApiError.
 */
export async function decryptObject(
  keyring: ArchiveKeyring,
  objectKey: string,
  body: Uint8Array | ArrayBuffer,
): Promise<Uint8Array<ArrayBuffer>> {
  const bytes = body instanceof Uint8Array ? body : new Uint8Array(body);
  const kid = encryptedKid(bytes);
  if (kid === null)
    throw unreadable(objectKey, "not encrypted (no VEENC v1 header); refused, never served as plaintext");
  const key = keyring.cryptoKey(kid);
  if (!key) {
    throw new ApiError(
      503,
      "archive_key_unavailable",
      "This archived data is encrypted with a key this deployment no " +
        "longer holds; an operator must restore it to ARCHIVE_KEYS.",
      {
        internal:
          `R2 object '${objectKey}' is encrypted with key id '${kid}', which ` +
          `ARCHIVE_KEYS does not hold (it holds: ${keyring.kids.join(", ")})`,
      },
    );
  }
  const headLength = MAGIC.length + 2 + kid.length + IV_BYTES;
  const head = bytes.subarray(0, headLength);
  try {
    const plaintext = await crypto.subtle.decrypt(
      {
        name: "AES-GCM",
        iv: bytes.subarray(headLength - IV_BYTES, headLength),
        additionalData: concat(head, utf8(objectKey)),
        tagLength: TAG_BITS,
      },
      await key,
      bytes.subarray(headLength),
    );
    return new Uint8Array(plaintext);
  } catch (err) {
    throw unreadable(
      objectKey,
      `authentication failed under key id '${kid}' (wrong key material ` +
        "for that id, tampered, or moved from another object key)",
      err,
    );
  }
}
