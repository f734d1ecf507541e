import { ProviderError } from "../errors";
import { maskSecrets } from "../secrets";

/**
 * Google's error body is {"error": {"code", "message", "status", "details": [...]}}
 * (https://cloud.google.com/apis/design/errors#http_mapping). Two things are fixed here:
 * - an invalid API key is a 400 INVALID_ARGUMENT with reason API_KEY_INVALID, which is a credentials
 *   problem (kind "auth"), not bad audio; and
 * - its DebugInfo detail can echo the key ("Invalid API key: ..."), so every credential is masked
 *   out of the message before it is logged anywhere.
 */
export function sanitize(err: ProviderError, secrets: readonly string[]): ProviderError {
  const message = maskSecrets(err.message.replace(/^google: /, ""), secrets);
  const badKey = err.options.status === 400 && /API_KEY_INVALID|API key not valid|API Key not found/i.test(message);
  if (!badKey && message === err.message.replace(/^google: /, "")) return err;
  return new ProviderError("google", badKey ? "auth" : err.kind, message, { ...err.options, cause: err.options.cause });
}
