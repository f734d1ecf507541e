/**
 * AssemblyAI streaming errors. A failing session sends an `Error` frame
 * {"type":"Error","error_code":3008,"error":"Session Expired: ..."} and then closes with that same
 * code (https://www.assemblyai.com/docs/streaming/common-session-errors-and-closures):
 *   1008 Unauthorized Connection (a missing or bad key, an account problem; or "Too many
 *        concurrent sessions", a rate limit); 3005 Session Cancelled (a server error);
 *   3006 Invalid Message / JSON; 3007 Input duration violation (a frame outside 50-1000 ms) or
 *        audio sent faster than real time; 3008 Session Expired (3 hours); 3009 too many
 *        concurrent sessions.
 * The 4000-4104 codes of the previous streaming API are read the same way should a proxy still send them.
 */
import type { ProviderErrorKind } from "../../call/attempts";
import { ProviderError } from "../errors";
import { unexpectedClose } from "../stt-socket";
import { ASSEMBLYAI_PROVIDER } from "./settings";

const KINDS: Record<number, ProviderErrorKind> = {
  3005: "retryable",
  3006: "permanent",
  3007: "permanent",
  3008: "retryable",
  3009: "retryable",
  4001: "auth", // not authorized
  4002: "auth", // insufficient funds: retrying cannot help until someone pays
  4003: "auth", // free tier
  4029: "retryable",
  4031: "retryable",
  4102: "retryable",
};

export function assemblyAiErrorKind(code: number, text: string): ProviderErrorKind {
  if (code === 1008) return /concurrent|too many/i.test(text) ? "retryable" : "auth";
  const known = KINDS[code];
  if (known) return known;
  if (code >= 4000 && code < 5000) return "permanent";
  return unexpectedClose(ASSEMBLYAI_PROVIDER, code, text).kind;
}

/** An `Error` frame or a close with an error code, as a ProviderError naming the code. */
export function assemblyAiError(code: number, text: string): ProviderError {
  if (code === 1000 || code === 1006 || code === 1011 || code === 1001)
    return unexpectedClose(ASSEMBLYAI_PROVIDER, code, text.slice(0, 300));
  return new ProviderError(
    ASSEMBLYAI_PROVIDER,
    assemblyAiErrorKind(code, text),
    `${text.slice(0, 300) || "the session ended"} (code ${code})`,
    { status: code },
  );
}
