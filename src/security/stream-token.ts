import type { Residency } from "../call/residency";
import { randomAlphanumeric, sha256Hex } from "./crypto";

/**
 * Stream tokens: how a browser, which cannot set headers on a WebSocket, opens a call's live
 * stream (GET /api/v1/calls/{callId}/stream?token=...). POST .../stream-token (scope calls:write)
 * mints one with an API key; it is valid for STREAM_TOKEN_TTL_MS and opens one stream, once.
 *
 *   vst_<claims>.<secret>   claims: base64url JSON [version, tenantId, callId, keyId, residency]
 *                           secret: 43 random base62 characters (≈ 256 bits)
 *
 * The claims say where the token is redeemed (the tenant's call object, in the residency's
 * namespace) and which key minted it; they are not signed, and need not be: the call's own
 * Durable Object stores only the SHA-256 of the whole token (claims and secret) and deletes it
 * when it is redeemed (one SQL statement, so single use is exact), so a token with edited claims
 * matches nothing. Before the object is asked, the Worker checks in D1 that the minting key still
 * exists, belongs to the claimed tenant, holds calls:write and is not revoked, so revoking a key
 * also kills the tokens it minted, and a made-up token learns nothing about another tenant's calls.
 */

export const STREAM_TOKEN_TTL_MS = 60_000;
const PREFIX = "vst_";
const SECRET = /^[A-Za-z0-9]{43}$/;
/** A token is short; anything longer is not one (and is not hashed or parsed). */
const MAX_TOKEN_CHARS = 512;
/**
 * Outstanding tokens one call keeps; minting more drops the oldest (a client retrying in a loop cannot grow storage).
 */
const MAX_TOKENS_PER_CALL = 16;

export interface StreamTokenClaims {
  tenantId: string;
  callId: string;
  /** The API key that minted the token. */
  keyId: string;
  /** The namespace of the call's object (the tenant's or the call's residency). */
  residency: Residency | null;
}

/** A new token for these claims, and the hash the call's object stores. */
export async function mintStreamToken(claims: StreamTokenClaims): Promise<{ token: string; hash: string }> {
  const json = JSON.stringify([1, claims.tenantId, claims.callId, claims.keyId, claims.residency]);
  const token = `${PREFIX}${base64url(json)}.${randomAlphanumeric(43)}`;
  return { token, hash: await streamTokenHash(token) };
}

export function streamTokenHash(token: string): Promise<string> {
  return sha256Hex(token);
}

/** The claims of a well-formed token, else null. Says nothing about whether the token is valid. */
export function parseStreamToken(token: string): StreamTokenClaims | null {
  if (token.length > MAX_TOKEN_CHARS || !token.startsWith(PREFIX)) return null;
  const cut = token.lastIndexOf(".");
  if (cut <= PREFIX.length || !SECRET.test(token.slice(cut + 1))) return null;
  let value: unknown;
  try {
    value = JSON.parse(fromBase64url(token.slice(PREFIX.length, cut)));
  } catch {
    return null;
  }
  if (!Array.isArray(value) || value.length !== 5 || value[0] !== 1) return null;
  const [, tenantId, callId, keyId, residency] = value as unknown[];
  if (typeof tenantId !== "string" || typeof callId !== "string" || typeof keyId !== "string") return null;
  if (!tenantId || !callId || !keyId || (residency !== null && residency !== "eu")) return null;
  return { tenantId, callId, keyId, residency };
}

function base64url(text: string): string {
  let binary = "";
  for (const b of new TextEncoder().encode(text)) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(text: string): string {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error("not base64url");
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(
    Uint8Array.from(binary, (c) => c.charCodeAt(0)),
  );
}

/**
 * The call object's table of outstanding tokens (hashes only). Created on first use: the object's
 * storage is wiped when the call is archived or erased, and its tokens go with it.
 */
export class StreamTokenStore {
  constructor(private readonly sql: SqlStorage) {}

  private table(): void {
    this.sql.exec(
      "CREATE TABLE IF NOT EXISTS stream_tokens (hash TEXT PRIMARY KEY, " +
        "key_id TEXT NOT NULL, expires_at INTEGER NOT NULL)",
    );
  }

  /** Stores a minted token's hash; expired ones, and the oldest beyond MAX_TOKENS_PER_CALL, are dropped. */
  issue(hash: string, keyId: string, expiresAt: number, now: number): void {
    this.table();
    this.sql.exec("DELETE FROM stream_tokens WHERE expires_at <= ?", now);
    this.sql.exec(
      "DELETE FROM stream_tokens WHERE hash IN (SELECT hash FROM " +
        "stream_tokens ORDER BY expires_at DESC LIMIT -1 OFFSET ?)",
      MAX_TOKENS_PER_CALL - 1,
    );
    this.sql.exec("INSERT INTO stream_tokens (hash, key_id, expires_at) VALUES (?, ?, ?)", hash, keyId, expiresAt);
  }

  /** Redeems a token: true once, for an unexpired token of this key; the token is gone either way. */
  redeem(hash: string, keyId: string, now: number): boolean {
    this.table();
    const row = this.sql
      .exec<{ key_id: string; expires_at: number }>(
        "DELETE FROM stream_tokens WHERE hash = ? RETURNING key_id, expires_at",
        hash,
      )
      .toArray()[0];
    return row !== undefined && row.key_id === keyId && row.expires_at > now;
  }
}
