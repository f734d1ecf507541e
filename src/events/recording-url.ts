import { base64Url } from "../lib/base64";
import { digestsEqual } from "../security/crypto";
import { archiveKeyring, type ArchiveKeysEnv } from "../storage/encryption";

/**
 * Signed recording links: what a `recording.ready` event carries so an endpoint can fetch the
 * call's audio without an API key (docs/events.md). Each delivery attempt gets a fresh link,
 * valid for RECORDING_LINK_TTL_SECONDS:
 *
 *   GET /api/v1/calls/{callId}/recording?tenant=<tenantId>&expires=<unix s>&sig=v1.<kid>.<mac>
 *
 * mac = base64url(HMAC-SHA256(key, "recording\n<tenantId>\n<callId>\n<turnId or empty>\n<expires>")),
 * the key derived with HKDF from the ARCHIVE_KEYS entry `kid` (ArchiveKeyring.signingKey), so
 * nothing new needs configuring, rotating ARCHIVE_KEYS keeps links made under an older entry valid
 * while that entry stays, and removing an entry revokes its links. A link opens that call's
 * recording (of that tenant) and nothing else: another call, another tenant, a later expiry or a
 * turnId added all change the MAC. It is a bearer credential for an hour: receivers should fetch
 * promptly and not log it.
 */

export const RECORDING_LINK_TTL_SECONDS = 3600;
/** Links valid for longer than this are refused whatever their MAC (a clock a little ahead is tolerated). */
const MAX_LIFETIME_SECONDS = RECORDING_LINK_TTL_SECONDS + 300;
const INFO = "voice-edge recording links v1";
const SIG = /^v1\.([A-Za-z0-9_-]{1,32})\.([A-Za-z0-9_-]{43})$/;
const EXPIRES = /^[1-9][0-9]{0,11}$/;

export interface RecordingLinkClaims {
  tenantId: string;
  callId: string;
  turnId?: string | undefined;
}

const message = (c: RecordingLinkClaims, expires: number) =>
  `recording\n${c.tenantId}\n${c.callId}\n${c.turnId ?? ""}\n${expires}`;

async function mac(key: CryptoKey, text: string): Promise<string> {
  return base64Url(new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(text))));
}

/**
 * A new link to the call's recording: absolute under `origin` (PUBLIC_BASE_URL) when given, else
 * the path and query alone.
 */
export async function recordingLink(
  env: ArchiveKeysEnv,
  claims: RecordingLinkClaims,
  nowMs: number,
  origin?: string,
): Promise<{ url: string; expiresAt: string }> {
  const keyring = archiveKeyring(env);
  const expires = Math.floor(nowMs / 1000) + RECORDING_LINK_TTL_SECONDS;
  const key = await (keyring.signingKey(INFO) as Promise<CryptoKey>);
  const query = new URLSearchParams({
    ...(claims.turnId ? { turnId: claims.turnId } : {}),
    tenant: claims.tenantId,
    expires: String(expires),
    sig: `v1.${keyring.currentKid}.${await mac(key, message(claims, expires))}`,
  });
  const path = `/api/v1/calls/${encodeURIComponent(claims.callId)}/recording?${query.toString()}`;
  return { url: (origin ? origin.replace(/\/+$/, "") : "") + path, expiresAt: new Date(expires * 1000).toISOString() };
}

export type LinkVerdict = "ok" | "expired" | "invalid";

/**
 * Whether `sig` and `expires` (as the query carried them) open the recording named by `claims`.
 * "expired" only for a link whose MAC is right: a forged link learns nothing about expiry.
 */
export async function verifyRecordingLink(
  env: ArchiveKeysEnv,
  claims: RecordingLinkClaims,
  link: { expires: string | undefined; sig: string | undefined },
  nowMs: number,
): Promise<LinkVerdict> {
  const parts = SIG.exec(link.sig ?? "");
  if (!parts || !link.expires || !EXPIRES.test(link.expires)) return "invalid";
  const [, kid, presented] = parts as unknown as [string, string, string];
  const key = archiveKeyring(env).signingKey(INFO, kid);
  if (!key) return "invalid";
  const expires = Number(link.expires);
  if (!digestsEqual(await mac(await key, message(claims, expires)), presented)) return "invalid";
  const now = Math.floor(nowMs / 1000);
  if (expires > now + MAX_LIFETIME_SECONDS) return "invalid";
  return expires < now ? "expired" : "ok";
}
