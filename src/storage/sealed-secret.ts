import { base64ToBytes, bytesToBase64 } from "../lib/base64";
import { ApiError, asApiError } from "../lib/errors";
import { archiveKeyring, decryptObject, encryptObject, type ArchiveKeysEnv } from "./encryption";

/**
 * A signing secret (an agent's webhook secret, a webhook endpoint's) as D1 keeps it: AES-256-GCM
 * under the ARCHIVE_KEYS keyring (encryption.ts), bound to `aad`, the secret's owner (tenant and
 * id), so whoever reads D1 (a backup, an export) cannot sign as voice-edge, and a sealed secret
 * copied to another row does not open. `kid` names the key it was sealed with.
 */
export async function sealSecret(
  env: ArchiveKeysEnv,
  aad: string,
  secret: string,
): Promise<{ enc: string; kid: string }> {
  const keyring = archiveKeyring(env);
  const sealed = await encryptObject(keyring, aad, secret);
  return { enc: bytesToBase64(sealed.body), kid: keyring.currentKid };
}

/**
 * The secret sealed for `aad`. A keyring that cannot open it (a key ARCHIVE_KEYS lacks) is the
 * operator's problem, not the archive's: `unavailable` words the 503 for the secret's owner; the
 * cause goes to the log only.
 */
export async function openSecret(
  env: ArchiveKeysEnv,
  aad: string,
  enc: string,
  unavailable: { code: string; detail: string },
): Promise<string> {
  try {
    return new TextDecoder().decode(await decryptObject(archiveKeyring(env), aad, base64ToBytes(enc)));
  } catch (err) {
    const api = asApiError(err);
    if (!api) throw err;
    throw new ApiError(503, unavailable.code, unavailable.detail, {
      internal: `${api.code}: ${api.options.internal ?? api.detail}`,
      cause: err,
    });
  }
}
