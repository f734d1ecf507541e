/**
 * voice-edge answers every error as RFC 9457 problem details (application/problem+json):
 * `{ type, title, status, detail, code, requestId? }`. VoiceEdgeError carries those fields to the
 * caller of the convenience wrappers and of openCallStream.
 */
import type { components } from "./api-types";

export type Problem = components["schemas"]["Problem"];

export class VoiceEdgeError extends Error {
  override readonly name = "VoiceEdgeError";
  /** HTTP status (for a stream error: the status the server named, or 0 when the socket just closed). */
  readonly status: number;
  /** Stable machine word, e.g. `call_not_found`, `call_ended`, `rate_limited`. */
  readonly code: string;
  /** What went wrong and what to change, for a person. */
  readonly detail: string;
  readonly title: string;
  readonly type: string;
  /** The server's request id (problem body or X-Request-Id header); quote it when reporting a problem. */
  readonly requestId: string | undefined;
  /** Seconds from Retry-After (429 and 503 answers), when the server sent it. */
  readonly retryAfter: number | undefined;

  constructor(
    problem: Partial<Problem> & { status: number; code: string; detail: string },
    extra: { requestId?: string | null; retryAfter?: number } = {},
  ) {
    super(`${problem.code} (${problem.status}): ${problem.detail}`);
    this.status = problem.status;
    this.code = problem.code;
    this.detail = problem.detail;
    this.title = problem.title ?? "";
    this.type = problem.type ?? "about:blank";
    this.requestId = problem.requestId ?? extra.requestId ?? undefined;
    this.retryAfter = extra.retryAfter;
  }

  /**
   * The error for a non-2xx response. `body` is the already-read body (openapi-fetch parses it as
   * JSON when it can); a body that is not problem details (a proxy's HTML page, say) still gives a
   * VoiceEdgeError, with code `http_<status>`.
   */
  static fromResponse(response: Response, body: unknown): VoiceEdgeError {
    const requestId = response.headers.get("X-Request-Id");
    const retry = Number(response.headers.get("Retry-After") ?? Number.NaN);
    const extra = { requestId, ...(Number.isFinite(retry) ? { retryAfter: retry } : {}) };
    if (isProblem(body)) return new VoiceEdgeError({ ...body, status: response.status }, extra);
    const text = typeof body === "string" ? body.trim().slice(0, 200) : "";
    return new VoiceEdgeError(
      {
        status: response.status,
        code: `http_${response.status}`,
        title: response.statusText,
        detail: text || `The server answered ${response.status} ${response.statusText}`.trim(),
      },
      extra,
    );
  }

  /** Reads a non-2xx response's body and returns its error. */
  static async fromFetchResponse(response: Response): Promise<VoiceEdgeError> {
    const text = await response.text().catch(() => "");
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: fromResponse keeps a slice of the text as detail
    }
    return VoiceEdgeError.fromResponse(response, body);
  }
}

function isProblem(body: unknown): body is Problem {
  if (typeof body !== "object" || body === null) return false;
  const b = body as Record<string, unknown>;
  return typeof b.code === "string" && typeof b.detail === "string";
}
