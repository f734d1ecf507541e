import { describe, expect, it } from "vitest";
import { bytesToBase64 } from "../lib/base64";
import { ApiError } from "../lib/errors";
import {
  archiveKeyring,
  archiveKeyringState,
  ArchiveKeysError,
  decryptObject,
  encryptedKid,
  encryptObject,
  parseArchiveKeys,
} from "./encryption";

const rawKey = (fill: number) => bytesToBase64(new Uint8Array(32).fill(fill));
const A = `a:${rawKey(1)}`;
const B = `b:${rawKey(2)}`;
const OBJECT = "tenants/t1/calls/c1/transcript.json";
const SECRET = "my card number is 4111 1111 1111 1111";

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe("archive encryption", () => {
  it("round-trips text and bytes, and the body holds no plaintext", async () => {
    const keys = parseArchiveKeys(A);
    const enc = await encryptObject(keys, OBJECT, SECRET);
    expect(text(enc.body)).not.toContain("4111");
    expect(enc.body.byteLength).toBe(SECRET.length + 5 + 2 + 1 + 12 + 16);
    expect(enc.metadata).toEqual({ "ve-enc": "aes-256-gcm-v1", "ve-kid": "a" });
    expect(encryptedKid(enc.body)).toBe("a");
    expect(text(await decryptObject(keys, OBJECT, enc.body))).toBe(SECRET);

    const wav = new Uint8Array([0x52, 0x49, 0x46, 0x46, 1, 2, 3, 4, 0x57, 0x41, 0x56, 0x45]);
    const encWav = await encryptObject(keys, "k.wav", wav);
    expect(text(encWav.body)).not.toContain("RIFF");
    expect(await decryptObject(keys, "k.wav", encWav.body.buffer)).toEqual(wav);
    expect(await decryptObject(keys, "empty", (await encryptObject(keys, "empty", new Uint8Array(0))).body)).toEqual(
      new Uint8Array(0),
    );
  });

  it("uses a fresh 96-bit IV for every object", async () => {
    const keys = parseArchiveKeys(A);
    const ivs = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const { body } = await encryptObject(keys, OBJECT, SECRET);
      const ivAt = 5 + 2 + "a".length;
      ivs.add(bytesToBase64(body.subarray(ivAt, ivAt + 12)));
    }
    expect(ivs.size).toBe(1000);
  });

  it("binds the ciphertext to its object key (AAD)", async () => {
    const keys = parseArchiveKeys(A);
    const { body } = await encryptObject(keys, OBJECT, SECRET);
    const err = await failure(decryptObject(keys, "tenants/t2/calls/c1/transcript.json", body));
    expect(err).toMatchObject({ status: 500, code: "archive_unreadable" });
    expect(err.options.internal).toContain("tenants/t2/calls/c1/transcript.json");
  });

  it("fails closed under the wrong key material, a tampered byte, or a forged key id", async () => {
    const keys = parseArchiveKeys(A);
    const { body } = await encryptObject(keys, OBJECT, SECRET);
    // Same key id, other key material: the tag does not verify.
    expect(await failure(decryptObject(parseArchiveKeys(`a:${rawKey(9)}`), OBJECT, body))).toMatchObject({
      status: 500,
      code: "archive_unreadable",
    });
    // Any flipped byte, in the header, the ciphertext or the tag.
    for (const at of [8, 20, body.byteLength - 20, body.byteLength - 1]) {
      const tampered = body.slice();
      tampered[at] = (tampered[at] ?? 0) ^ 0x01;
      expect((await failure(decryptObject(keys, OBJECT, tampered))).code).toMatch(
        /^archive_(unreadable|key_unavailable)$/,
      );
    }
    // The key id is authenticated: relabelling a body as another key held by the keyring fails.
    const both = parseArchiveKeys(`${A},b:${rawKey(1)}`);
    const relabelled = body.slice();
    relabelled[7] = "b".charCodeAt(0);
    expect(await failure(decryptObject(both, OBJECT, relabelled))).toMatchObject({ code: "archive_unreadable" });
    // Truncated to nothing but the header.
    expect(await failure(decryptObject(keys, OBJECT, body.subarray(0, 20)))).toMatchObject({
      code: "archive_unreadable",
    });
  });

  it("fails closed on an unknown key id and on plaintext (pre-encryption) objects", async () => {
    const { body } = await encryptObject(parseArchiveKeys(B), OBJECT, SECRET);
    const unknown = await failure(decryptObject(parseArchiveKeys(A), OBJECT, body));
    expect(unknown).toMatchObject({ status: 503, code: "archive_key_unavailable" });
    expect(unknown.detail).not.toContain("4111");
    expect(unknown.options.internal).toContain("'b'");

    const legacy = new TextEncoder().encode(JSON.stringify({ version: 1, text: SECRET }));
    const refused = await failure(decryptObject(parseArchiveKeys(A), OBJECT, legacy));
    expect(refused).toMatchObject({ status: 500, code: "archive_unreadable" });
    expect(refused.options.internal).toContain("not encrypted");
    expect(encryptedKid(legacy)).toBeNull();
  });

  it("survives a rotation: old objects decrypt after ARCHIVE_KEYS becomes 'B,A', new writes use B", async () => {
    const before = parseArchiveKeys(A);
    const old = await encryptObject(before, OBJECT, SECRET);
    const rotated = parseArchiveKeys(`${B},${A}`);
    expect(rotated.currentKid).toBe("b");
    expect(rotated.kids).toEqual(["b", "a"]);
    expect(text(await decryptObject(rotated, OBJECT, old.body))).toBe(SECRET);
    const fresh = await encryptObject(rotated, OBJECT, SECRET);
    expect(fresh.metadata["ve-kid"]).toBe("b");
    expect(encryptedKid(fresh.body)).toBe("b");
    // Only once A is dropped do its objects stop decrypting, and they fail closed.
    expect(await failure(decryptObject(parseArchiveKeys(B), OBJECT, old.body))).toMatchObject({
      code: "archive_key_unavailable",
    });
    expect(text(await decryptObject(parseArchiveKeys(B), OBJECT, fresh.body))).toBe(SECRET);
  });

  it("derives a cache-naming key from the current key only", async () => {
    const sign = async (v: string) =>
      new Uint8Array(
        await crypto.subtle.sign("HMAC", await parseArchiveKeys(v).cacheNameKey(), new TextEncoder().encode("x")),
      );
    expect(await sign(A)).toEqual(await sign(`${A},${B}`));
    expect(await sign(A)).not.toEqual(await sign(`${B},${A}`));
  });
});

describe("ARCHIVE_KEYS", () => {
  const secret = rawKey(7);
  const cases: [string, RegExp][] = [
    ["", /ARCHIVE_KEYS is not set/],
    ["   ", /ARCHIVE_KEYS is not set/],
    [" , ,", /ARCHIVE_KEYS is invalid: is empty/],
    [secret, /ARCHIVE_KEYS is invalid: entry 1 must look like keyId:base64key/],
    [`bad id:${secret}`, /entry 1 the key id must be 1-32 characters/],
    [`${"k".repeat(33)}:${secret}`, /entry 1 the key id must be 1-32 characters/],
    [`a:${secret},b:not base64!`, /entry 2 the key is not base64/],
    [`a:${bytesToBase64(new Uint8Array(16).fill(7))}`, /entry 1 the key must be 32 bytes for AES-256, not 16/],
    [`a:${secret},b:${rawKey(8)},a:${rawKey(9)}`, /entry 3 repeats the key id of entry 1/],
  ];
  it.each(cases)("refuses %j, naming the setting and never the value", (value, message) => {
    let err: unknown;
    try {
      parseArchiveKeys(value);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ArchiveKeysError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/^ARCHIVE_KEYS /);
    expect(msg).toMatch(message);
    expect(msg).not.toContain(secret);
    expect(msg).not.toContain(secret.slice(0, 12));
  });

  it("accepts whitespace around entries (a secret pasted with a newline)", () => {
    expect(parseArchiveKeys(` k2:${rawKey(2)} ,\n k1:${rawKey(1)}\n`).kids).toEqual(["k2", "k1"]);
  });

  it("is parsed once per env, and a missing or bad value is a 503 naming the setting", () => {
    const env = { ARCHIVE_KEYS: A };
    expect(archiveKeyring(env)).toBe(archiveKeyring(env));
    expect(archiveKeyringState({})).toEqual({ ok: false, problem: "ARCHIVE_KEYS is not set" });
    let err: unknown;
    try {
      archiveKeyring({ ARCHIVE_KEYS: `a:${rawKey(3).slice(0, 20)}` });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 503, code: "archive_key_unavailable" });
    expect((err as ApiError).detail).toContain("ARCHIVE_KEYS");
    expect((err as ApiError).options.internal).toMatch(/^ARCHIVE_KEYS is invalid/);
  });
});
