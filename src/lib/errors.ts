import type { ContentfulStatusCode } from "hono/utils/http-status";

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

/**
 * Bad client input found below the API layer (the audio layer's AudioError extends it): `message`
 * is the public detail, `status` and `code` the problem it becomes. Kept apart from ApiError so
 * code that retries or fails over can tell a refused input from an API decision.
 */
export class InputError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The errors that carry a public status and detail (ApiError, and InputError's kinds), else null. */
export function asApiError(err: unknown): ApiError | null {
  if (err instanceof ApiError) return err;
  if (err instanceof InputError) return new ApiError(err.status, err.code, err.message);
  return null;
}

/** An error's message for a log line (anything thrown, not only Errors). */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
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
  426: "Upgrade Required",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  requestId?: string;
}

/** The standard reason phrase of an error status, the `title` of its problem details. */
export function problemTitle(status: number): string {
  return TITLES[status] ?? "Error";
}

export function problem(status: number, code: string, detail: string, requestId?: string): Problem {
  return {
    type: `https://voice-edge.dev/problems/${code}`,
    title: problemTitle(status),
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
  agentNotFound: (agentId: string) =>
    new ApiError(404, "agent_not_found", `No agent with id '${agentId}' exists for this tenant.`),
};
