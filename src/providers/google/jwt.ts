/**
 * RS256 JWTs with WebCrypto, for the service-account OAuth flow
 * (https://developers.google.com/identity/protocols/oauth2/service-account#jwt-auth):
 * base64url(header) "." base64url(claims) "." base64url(RSASSA-PKCS1-v1_5 SHA-256 signature).
 */
import { ProviderError } from "../errors";
import { base64ToBytes, base64Url } from "../../lib/base64";

/** The header Google documents for every service-account assertion: {"alg":"RS256","typ":"JWT"}. */
const HEADER = { alg: "RS256", typ: "JWT" } as const;

/** Imports the PEM PKCS#8 private key of a key file. The error never quotes the key. */
export async function importPrivateKey(pem: string): Promise<CryptoKey> {
  const body = pem.replace(/-----(?:BEGIN|END) PRIVATE KEY-----/g, "").replace(/\s+/g, "");
  try {
    return await crypto.subtle.importKey(
      "pkcs8",
      base64ToBytes(body),
      { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
      false,
      ["sign"],
    );
  } catch (err) {
    throw new ProviderError(
      "google",
      "auth",
      "GOOGLE_SERVICE_ACCOUNT_JSON: its private_key is not an RSA PKCS#8 key that " +
        "can sign RS256; download a new JSON key for the service account",
      {
        cause: err instanceof Error ? err.name : undefined,
      },
    );
  }
}

export async function signJwt(claims: Record<string, string | number>, key: CryptoKey): Promise<string> {
  const input = `${base64Url(JSON.stringify(HEADER))}.${base64Url(JSON.stringify(claims))}`;
  const signature = await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key, new TextEncoder().encode(input));
  return `${input}.${base64Url(new Uint8Array(signature))}`;
}
