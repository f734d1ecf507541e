import { base64ToBytes, bytesToBase64 } from "../lib/base64";

/**
 * Standard Webhooks (standardwebhooks.com) signing, as the contract asks for webhook tools and
 * events: `webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, keyed with
 * the bytes after `whsec_`. Receivers verify with any Standard Webhooks library.
 */

const PREFIX = "whsec_";

/** A new signing secret: `whsec_` + base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return PREFIX + bytesToBase64(crypto.getRandomValues(new Uint8Array(32)));
}

export function isWebhookSecret(value: string): boolean {
  return value.startsWith(PREFIX) && /^[A-Za-z0-9+/]{43}=$/.test(value.slice(PREFIX.length));
}

/** The three Standard Webhooks headers for one message. `timestampSec`: Unix seconds. */
export async function webhookHeaders(
  secret: string,
  messageId: string,
  timestampSec: number,
  body: string,
): Promise<Record<"webhook-id" | "webhook-timestamp" | "webhook-signature", string>> {
  if (!secret.startsWith(PREFIX)) throw new TypeError("a webhook secret starts with whsec_");
  const key = await crypto.subtle.importKey(
    "raw",
    base64ToBytes(secret.slice(PREFIX.length)),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const signed = new TextEncoder().encode(`${messageId}.${timestampSec}.${body}`);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, signed));
  return {
    "webhook-id": messageId,
    "webhook-timestamp": String(timestampSec),
    "webhook-signature": `v1,${bytesToBase64(mac)}`,
  };
}
