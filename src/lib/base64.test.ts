import { describe, expect, it } from "vitest";
import { base64ToBytes, bytesToBase64 } from "./base64";

/** btoa over the whole binary string at once: the plain definition, for lengths where that is fine. */
function reference(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

describe("bytesToBase64", () => {
  // Lengths around the padding cases and the fallback's 24 KiB chunks.
  const lengths = [0, 1, 2, 3, 4, 5, 24575, 24576, 24577, 100_001];

  it("gives standard base64 with padding, natively and through the chunked fallback alike", () => {
    for (const n of lengths) {
      const bytes = randomBytes(n);
      const expected = reference(bytes);
      expect(bytesToBase64(bytes), `native, ${n} bytes`).toBe(expected);
      const plain = bytes.slice();
      Object.defineProperty(plain, "toBase64", { value: undefined }); // a runtime without it
      expect(bytesToBase64(plain), `fallback, ${n} bytes`).toBe(expected);
      expect(base64ToBytes(expected)).toEqual(bytes);
    }
  });

  it("encodes a view, not its whole buffer", () => {
    const whole = randomBytes(10);
    expect(bytesToBase64(whole.subarray(3, 7))).toBe(reference(whole.slice(3, 7)));
  });
});

describe("base64ToBytes", () => {
  /** The same function on a runtime without Uint8Array.fromBase64 (atob decodes instead). */
  function withoutNative<T>(run: () => T): T {
    const own = Object.getOwnPropertyDescriptor(Uint8Array, "fromBase64");
    Object.defineProperty(Uint8Array, "fromBase64", { value: undefined, configurable: true });
    try {
      return run();
    } finally {
      if (own) Object.defineProperty(Uint8Array, "fromBase64", own);
      else delete (Uint8Array as { fromBase64?: unknown }).fromBase64;
    }
  }

  it("decodes natively and through atob alike, padding left out and white space included", () => {
    expect(typeof (Uint8Array as { fromBase64?: unknown }).fromBase64, "workerd has Uint8Array.fromBase64").toBe(
      "function",
    );
    for (const n of [0, 1, 2, 3, 4, 5, 24577, 100_001]) {
      const bytes = randomBytes(n);
      const text = reference(bytes);
      for (const variant of [text, text.replace(/=+$/, ""), text.replace(/(.{76})/g, "$1\r\n")]) {
        expect(base64ToBytes(variant), `native, ${n} bytes`).toEqual(bytes);
        expect(
          withoutNative(() => base64ToBytes(variant)),
          `atob, ${n} bytes`,
        ).toEqual(bytes);
      }
    }
  });

  it("refuses text that is not base64, natively and through atob", () => {
    for (const bad of ["abc!", "a", "ab=c", "{}"]) {
      expect(() => base64ToBytes(bad), bad).toThrow();
      expect(() => withoutNative(() => base64ToBytes(bad)), bad).toThrow();
    }
  });
});
