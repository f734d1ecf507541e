import type { RecordingReadyData, WebhookEvent } from "../call/events";
import { untilAborted } from "../lib/abortable";
import { readAtMost } from "../lib/bytes";
import { webhookHeaders } from "../security/webhook-signature";
import type { ArchiveKeysEnv } from "../storage/encryption";
import type { DeliveryEndpoint } from "../storage/webhook-store";
import { toolUrlProblem } from "../agents/tool-url";
import { recordingLink } from "./recording-url";

/**
 * One delivery attempt: the event's JSON POSTed to the endpoint, signed with its secret in the
 * Standard Webhooks headers (`webhook-id` is the event id, the same on every attempt, so the
 * receiver can drop duplicates; the timestamp and signature are new each time). Any 2xx is
 * delivered. Anything else is a failed attempt: another status, a redirect (never followed: it
 * could lead past the URL rule to a private address), no answer within the timeout, a network
 * error. The URL rule is checked again here, since the URL comes from D1 and the rule or the
 * setting may have changed since the PUT. At most ANSWER_BYTES of the answer are read. The body
 * is exactly the stored event (a `recording.ready` event gets a fresh signed link), nothing else.
 */

export const DEFAULT_ATTEMPT_TIMEOUT_MS = 10_000;
/** How much of an answer is read (and then thrown away): enough to end a small response cleanly. */
const ANSWER_BYTES = 4096;
export const USER_AGENT = "voice-edge-webhooks/1";

export interface AttemptContext {
  env: ArchiveKeysEnv;
  allowPrivateUrls: boolean;
  /** PUBLIC_BASE_URL: the origin of recording links (unset: links are a path and query). */
  origin?: string | undefined;
  timeoutMs: number;
  fetch: typeof fetch;
  now: () => number;
}

/** What became of an attempt, as the attempts metric counts it. */
export type AttemptResult = "delivered" | "http_error" | "redirect" | "timeout" | "network" | "url_refused";

export interface AttemptOutcome {
  ok: boolean;
  result: AttemptResult;
  /** The receiver's status; null when it did not answer. */
  httpStatus: number | null;
  latencyMs: number;
  /** Why it failed, in words fit for the tenant (never a host's address or a stack); null when ok. */
  error: string | null;
  /** False when trying again cannot help (the URL is not allowed): the delivery is given up at once. */
  retryable: boolean;
}

/** The body for this attempt: the event as stored, a recording link added to `recording.ready`. */
export async function attemptBody(event: WebhookEvent, ctx: AttemptContext): Promise<string> {
  if (event.type !== "recording.ready") return JSON.stringify(event);
  const link = await recordingLink(ctx.env, { tenantId: event.tenantId, callId: event.callId }, ctx.now(), ctx.origin);
  const data: RecordingReadyData = {
    ...(event.data as Partial<RecordingReadyData>),
    path: `/api/v1/calls/${encodeURIComponent(event.callId)}/recording`,
    url: link.url,
    expiresAt: link.expiresAt,
  };
  return JSON.stringify({ ...event, data });
}

/** Makes one attempt. Never throws for the receiver's sake; a failure to sign or store throws. */
export async function attemptDelivery(
  endpoint: DeliveryEndpoint,
  event: WebhookEvent,
  ctx: AttemptContext,
): Promise<AttemptOutcome> {
  const problem = toolUrlProblem(endpoint.url, ctx.allowPrivateUrls);
  if (problem)
    return {
      ok: false,
      result: "url_refused",
      httpStatus: null,
      latencyMs: 0,
      error: `URL not allowed: ${problem}`,
      retryable: false,
    };
  const body = await attemptBody(event, ctx);
  const signed = await webhookHeaders(endpoint.secret, event.id, Math.floor(ctx.now() / 1000), body);
  const startedAt = performance.now();
  const timeout = AbortSignal.timeout(ctx.timeoutMs);
  const latency = () => Math.round(performance.now() - startedAt);
  try {
    const status = await untilAborted(exchange(endpoint.url, body, signed, ctx.fetch, timeout), timeout);
    if (status >= 200 && status < 300)
      return { ok: true, result: "delivered", httpStatus: status, latencyMs: latency(), error: null, retryable: true };
    const redirect = status === 0 || (status >= 300 && status < 400);
    return {
      ok: false,
      result: redirect ? "redirect" : "http_error",
      httpStatus: status || null,
      latencyMs: latency(),
      error: redirect ? `answered with a redirect (HTTP ${status}), which is not followed` : `answered HTTP ${status}`,
      retryable: true,
    };
  } catch {
    // A network error's message may name hosts or addresses; the tenant needs only the fact.
    const timedOut = timeout.aborted;
    return {
      ok: false,
      result: timedOut ? "timeout" : "network",
      httpStatus: null,
      latencyMs: latency(),
      error: timedOut ? `no answer within ${ctx.timeoutMs} ms` : "could not connect",
      retryable: true,
    };
  }
}

async function exchange(
  url: string,
  body: string,
  signed: Record<string, string>,
  fetcher: typeof fetch,
  signal: AbortSignal,
): Promise<number> {
  const response = await fetcher(url, {
    method: "POST",
    headers: { ...signed, "content-type": "application/json", "user-agent": USER_AGENT },
    body,
    redirect: "manual",
    signal,
  });
  // Read a little of the answer so a small one ends cleanly; a large one is cancelled, never buffered.
  await readAtMost(response.body, ANSWER_BYTES).catch(() => undefined);
  return response.status;
}
