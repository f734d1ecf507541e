import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AudioError } from "../audio/errors";

/**
 * The one error type the API throws on purpose. `detail` is public (it tells a client what to
 * change); `internal` is for logs only and never leaves the Worker.
 */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    readonly detail: string,
    readonly options: { internal?: string; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(`${code}: ${options.internal ?? detail}`, { cause: options.cause });
  }
}

const AUDIO_STATUS = { invalid_audio: 400, unsupported_media_type: 415, payload_too_large: 413 } as const;

/** The errors that carry a public status and detail (ApiError, and the audio layer's), else null. */
export function asApiError(err: unknown): ApiError | null {
  if (err instanceof ApiError) return err;
  if (err instanceof AudioError) return new ApiError(AUDIO_STATUS[err.code], err.code, err.message);
  return null;
}

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  requestId?: string;
}

export function problem(status: number, code: string, detail: string, requestId?: string): Problem {
  return {
    type: `https://voice-edge.dev/problems/${code}`,
    title: TITLES[status] ?? "Error",
    status,
    detail,
    code,
    ...(requestId ? { requestId } : {}),
  };
}

export function problemResponse(p: Problem, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(p), {
    status: p.status,
    headers: { "Content-Type": "application/problem+json", ...headers },
  });
}

// Shorthands for the errors every route raises, so codes and wording stay consistent.
export const errors = {
  callNotFound: (callId: string) =>
    new ApiError(404, "call_not_found", `No call with id '${callId}' exists for this tenant.`),
  callEnded: (callId: string) =>
    new ApiError(409, "call_ended", `Call '${callId}' has ended; start a new call to continue.`),
  tooLarge: (detail: string) => new ApiError(413, "payload_too_large", detail),
};
