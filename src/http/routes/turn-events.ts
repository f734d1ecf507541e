import type { Context } from "hono";
import { ApiError } from "../../lib/errors";
import { rpcCall } from "../../observability/tracing";
import type { TurnInput } from "../../pipeline/types";
import type { AppEnv } from "../env";
import type { TenantRef } from "../middleware/auth";
import { acceptedAnswer, notFoundAnswer, onCall, throwEndedOrMissing } from "./call-stub";

/** Whether the client asked for the turn as Server-Sent Events. */
export function wantsEvents(accept: string | undefined): boolean {
  return /(^|,)\s*text\/event-stream\s*(;|,|$)/i.test(accept ?? "");
}

/**
 * A turn streamed as Server-Sent Events (the contract's "Streaming a turn over HTTP"). Everything
 * checked before the stream begins answers as a plain problem (404, 409, 400...); what fails after
 * is an `error` event. The call's object logs the turn's event: this request's line is written
 * when the stream starts, before the turn ends.
 */
export async function streamedTurn(
  c: Context<AppEnv>,
  tenant: TenantRef,
  callId: string,
  turn: TurnInput,
): Promise<Response> {
  if (turn.reply.mode === "audio" && (turn.reply.format === "mp3" || turn.reply.format === "ogg")) {
    throw new ApiError(
      400,
      "invalid_request",
      `format=${turn.reply.format} cannot be streamed sentence by sentence; ask for wav, pcm or mulaw.`,
    );
  }
  const input = { ...turn, eventOnRequestLine: false };
  const { answer, residency } = await onCall(
    c.env,
    tenant,
    callId,
    (call) => rpcCall("turn", (trace) => call.turnEvents({ ...input, ...(trace ? { trace } : {}) })),
    notFoundAnswer,
  );
  if (notFoundAnswer(answer)) await throwEndedOrMissing(c.env, tenant.tenantId, callId, residency);
  const events = acceptedAnswer(c, answer);
  return new Response(events, {
    headers: { "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-store" },
  });
}
