/**
 * Cartesia's errors. Over HTTP the status says what kind of failure it is and the body explains it;
 * over the WebSocket an `error` message does both: `{"type": "error", "done": true, "title",
 * "message", "error_code", "status_code", "context_id"}` in API version 2026-03-01, `{"error": "...",
 * "status_code"}` in older ones (https://docs.cartesia.ai/2026-03-01/api-reference/tts/websocket and
 * https://docs.cartesia.ai/2024-11-13/api-reference/tts/websocket).
 */
import { kindForStatus, ProviderError } from "../errors";
import { maskSecrets } from "../secrets";
import { CARTESIA_PROVIDER } from "./settings";

interface ErrorShape {
  title?: unknown;
  message?: unknown;
  error?: unknown;
  error_code?: unknown;
  status_code?: unknown;
  request_id?: unknown;
}

/** One line from an error document of either shape, or the text as it came. */
export function describeCartesiaError(body: string | ErrorShape): string {
  let json: ErrorShape;
  if (typeof body === "string") {
    try {
      json = JSON.parse(body) as ErrorShape;
    } catch {
      return body.trim();
    }
    if (!json || typeof json !== "object") return body.trim();
  } else json = body;
  const text = [json.title, json.message, json.error].filter((v): v is string => typeof v === "string").join(": ");
  if (!text) return typeof body === "string" ? body.trim() : "an error without a message";
  const extra = [
    typeof json.error_code === "string" && `error_code ${json.error_code}`,
    typeof json.request_id === "string" && `request_id ${json.request_id}`,
  ].filter(Boolean);
  return extra.length ? `${text} (${extra.join(", ")})` : text;
}

export function withCartesiaErrorDetail(fetcher?: typeof fetch): typeof fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const res = await (fetcher ?? fetch)(input, init);
    // 101 is the WebSocket upgrade, not an error.
    if (res.ok || res.status === 101) return res;
    const detail = describeCartesiaError(await res.text().catch(() => ""));
    const headers = new Headers(res.headers);
    for (const name of ["content-length", "content-encoding", "content-type"]) headers.delete(name);
    return new Response(detail, { status: res.status, statusText: res.statusText, headers });
  }) as typeof fetch;
}

/** An `error` message on the socket, classified by its status_code as an HTTP answer would be (5xx without one). */
export function socketError(message: ErrorShape, secrets: readonly string[]): ProviderError {
  const status = typeof message.status_code === "number" ? message.status_code : undefined;
  return new ProviderError(
    CARTESIA_PROVIDER,
    status === undefined ? "retryable" : kindForStatus(status),
    // Masked before it is cut short, as providerFetch does with HTTP error bodies.
    `WebSocket error: ${maskSecrets(describeCartesiaError(message), secrets).slice(0, 300)}`,
    status === undefined ? {} : { status },
  );
}
