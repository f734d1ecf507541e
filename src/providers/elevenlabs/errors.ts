/**
 * ElevenLabs error bodies carry `{"detail": {"status": "<code>", "message": "..."}}` (codes such as
 * invalid_api_key, quota_exceeded, voice_not_found, max_character_limit_exceeded:
 * https://help.elevenlabs.io/hc/en-us/articles/19572237925521-API-Error-Code-400-or-401), and
 * validation failures FastAPI's `{"detail": [{"loc", "msg", "type"}]}` (422). This fetch wrapper
 * rewrites them into one readable line before providerFetch classifies the status and quotes it;
 * `refusal` then tells a voice or text the provider refused from any other permanent failure.
 */
import { ProviderError, type Refusal } from "../errors";
import { ELEVENLABS_PROVIDER } from "./settings";

export function describeElevenLabsError(body: string): string {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return body.trim();
  }
  const detail = (json as { detail?: unknown } | null)?.detail;
  if (detail && typeof detail === "object" && !Array.isArray(detail)) {
    const { status, message } = detail as { status?: unknown; message?: unknown };
    if (typeof message === "string") return typeof status === "string" ? `${message} (${status})` : message;
  }
  if (Array.isArray(detail)) {
    const lines = detail
      .map((d: { loc?: unknown; msg?: unknown }) =>
        typeof d?.msg === "string" ? `${Array.isArray(d.loc) ? d.loc.join(".") + ": " : ""}${d.msg}` : "",
      )
      .filter(Boolean);
    if (lines.length) return lines.join("; ");
  }
  return body.trim();
}

export function withElevenLabsErrorDetail(fetcher?: typeof fetch): typeof fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const res = await (fetcher ?? fetch)(input, init);
    if (res.ok) return res;
    const detail = describeElevenLabsError(await res.text().catch(() => ""));
    // Keep Retry-After and the rest; drop the headers that described the old body.
    const headers = new Headers(res.headers);
    for (const name of ["content-length", "content-encoding", "content-type"]) headers.delete(name);
    return new Response(detail, { status: res.status, statusText: res.statusText, headers });
  }) as typeof fetch;
}

/** Error codes that say what about the request was refused. */
const REFUSALS: Record<string, Refusal> = {
  voice_not_found: "voice",
  max_character_limit_exceeded: "text",
  text_too_long: "text",
};

/** A refused voice or text as a refusal (the client is told what to change); everything else as it was. */
export function reclassify(err: unknown): never {
  if (err instanceof ProviderError && err.kind === "permanent" && !err.options.refusal) {
    const code = /\((\w+)\)/.exec(err.message)?.[1];
    const refusal = code ? REFUSALS[code] : undefined;
    if (refusal)
      throw new ProviderError(ELEVENLABS_PROVIDER, "permanent", err.message.replace(/^elevenlabs: /, ""), {
        ...err.options,
        refusal,
        cause: err,
      });
  }
  throw err;
}
