import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../env";
import { concatBytes } from "../../lib/bytes";
import type { TurnPayload } from "../../pipeline/types";
import { ApiError } from "../../lib/errors";
import { tenantRefOf } from "../middleware/auth";
import { actorOf } from "../actor";
import { sha256Hex } from "../../security/crypto";
import { isMultipart, readAudioUpload } from "./audio-body";
import { acceptedAnswer, notFoundAnswer, onCall, throwEndedOrMissing } from "./call-stub";
import { turnProviderHeaders } from "./provider-headers";
import { ttsChain } from "../../providers/registry";
import { callerPosition, type CallerCf } from "../../routing/order";
import { replyOptions } from "./reply-options";
import { rpcCall } from "../../observability/tracing";
import { audioBodyContent, CallIdParam, problemResponses, ReplyQuery, TurnJsonBody, TurnResponse } from "./schemas";
import { scoped } from "./scoped";
import { streamedTurn, wantsEvents } from "./turn-events";

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** A validated JSON turn (text or keypad digits) as the pipeline's payload. */
function jsonTurn(body: { text: string } | { dtmf: string }, maxChars: number): TurnPayload {
  if ("text" in body) {
    const text = body.text.trim();
    if (!text) throw new ApiError(400, "invalid_request", "text must contain something other than white space.");
    if ([...text].length > maxChars)
      throw new ApiError(
        422,
        "text_too_long",
        `text is limited to ${maxChars} characters; split it into several turns.`,
      );
    return { kind: "text", text };
  }
  return { kind: "dtmf", digits: body.dtmf.toUpperCase() };
}

export function turnRoutes() {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(
    createRoute({
      method: "post",
      path: "/{callId}/turns",
      tags: ["calls"],
      summary: "One caller turn: text, keypad digits or audio → transcript, intent, reply",
      ...scoped("calls:write", { audit: { action: "call.turn", recordedByCall: true } }),
      request: {
        params: CallIdParam,
        query: ReplyQuery,
        headers: z.object({ "idempotency-key": z.string().optional() }),
        body: {
          // Parsed in the handler: the body is JSON or audio, decided by Content-Type.
          content: { "application/json": { schema: TurnJsonBody }, ...audioBodyContent() },
        },
      },
      responses: {
        200: {
          description:
            "The turn's result; with `Accept: text/event-stream`, Server-Sent Events as it happens: `transcript`, " +
            "`tool_call`, `reply_delta`, `audio` (one per sentence), then `done` with this result or `error`",
          content: {
            "application/json": { schema: TurnResponse },
            "text/event-stream": { schema: z.string().openapi({ description: "Server-Sent Events" }) },
          },
        },
        ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 503),
      },
    }),
    async (c) => {
      const tenant = tenantRefOf(c.var.principal);
      const { callId } = c.req.valid("param");
      const query = c.req.valid("query");
      const reply = replyOptions(query, () => ttsChain(c.env, c.var.config));
      const idempotencyKey = c.req.header("Idempotency-Key") ?? null;
      if (idempotencyKey !== null && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
        throw new ApiError(400, "invalid_request", "Idempotency-Key must be 1-255 printable ASCII characters.");
      }
      const contentType = c.req.header("Content-Type") ?? "";
      let payload: TurnPayload;
      let fingerprintSource: Uint8Array | string;
      if (/^application\/(.+\+)?json/i.test(contentType)) {
        // Already parsed and checked against TurnJsonBody by the route's validator (it runs for
        // JSON content types only, which Hono's types cannot express for a multi-type body).
        const body = (c.req.valid as unknown as (target: "json") => z.infer<typeof TurnJsonBody>)("json");
        payload = jsonTurn(body, c.var.config.MAX_TEXT_CHARS);
        fingerprintSource = JSON.stringify(body);
      } else if (/^audio\//i.test(contentType) || isMultipart(contentType)) {
        const upload = await readAudioUpload(c);
        payload = { kind: "audio", audio: upload.audio };
        fingerprintSource = upload.raw;
      } else {
        throw new ApiError(
          415,
          "unsupported_media_type",
          contentType
            ? `Content-Type '${contentType}' is not a turn; send application/json ({ "text" } or { ` +
                `"dtmf" }), an audio/* body, or multipart/form-data with field 'audio'.`
            : 'The request has no Content-Type; send application/json ({ "text" } or { "dtmf" ' +
                "}), an audio/* body, or multipart/form-data with field 'audio'.",
        );
      }
      // What a retry with the same Idempotency-Key must repeat; without a key nothing compares it.
      const fingerprint =
        idempotencyKey === null
          ? ""
          : await sha256Hex(
              typeof fingerprintSource === "string"
                ? `${contentType}\n${JSON.stringify(reply)}\n${fingerprintSource}`
                : concatBytes([
                    new TextEncoder().encode(`${contentType}\n${JSON.stringify(reply)}\n`),
                    fingerprintSource,
                  ]),
            );
      const turn = {
        payload,
        reply,
        idempotencyKey,
        fingerprint,
        requestId: c.var.requestId,
        eventOnRequestLine: true,
        caller: callerPosition(c.req.raw.cf as CallerCf | undefined),
        ...actorOf(c.var.principal),
      };
      if (wantsEvents(c.req.header("Accept"))) return streamedTurn(c, tenant, callId, turn);
      const { answer, residency } = await onCall(
        c.env,
        tenant,
        callId,
        (call) => rpcCall("turn", (trace) => call.turn({ ...turn, ...(trace ? { trace } : {}) })),
        notFoundAnswer,
      );
      if (notFoundAnswer(answer)) await throwEndedOrMissing(c.env, tenant.tenantId, callId, residency);
      const result = acceptedAnswer(c, answer);
      return c.json(result, 200, turnProviderHeaders(result));
    },
  );
  return app;
}
