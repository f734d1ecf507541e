import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../env";
import { errors } from "../../../lib/errors";
import { tenantRefOf } from "../../middleware/auth";
import { actorOf } from "../../actor";
import { readTranscript } from "../../../storage/cold-store";
import { readCall } from "../../../storage/warm-store";
import { archiveBucket } from "../../../storage/residency";
import { acceptedAnswer, notFoundAnswer, onCall, throwEndedOrMissing, unwrap } from "../call-stub";
import { rpcCall } from "../../../observability/tracing";
import { scoped } from "../scoped";
import { CallIdParam, CallView, EndResponse, JsonObject, problemResponses } from "../schemas";

import { byteSize, publicView } from "./views";

/** PATCH /calls/{callId} and POST /calls/{callId}/end: change or end a live call. */
export function changeRoutes(app: OpenAPIHono<AppEnv>, tags: string[]): void {
  app.openapi(
    createRoute({
      method: "patch",
      path: "/{callId}",
      tags,
      summary: "Merge keys into the session context",
      ...scoped("calls:write", { audit: { action: "call.update" } }),
      request: {
        params: CallIdParam,
        body: {
          content: { "application/json": { schema: z.object({ context: JsonObject }).strict() } },
          required: true,
        },
      },
      responses: {
        200: { description: "The updated call", content: { "application/json": { schema: CallView } } },
        ...problemResponses(400, 401, 403, 404, 409, 413),
      },
    }),
    async (c) => {
      const tenant = tenantRefOf(c.var.principal);
      const { callId } = c.req.valid("param");
      const { context } = c.req.valid("json");
      if (byteSize(context) > c.var.config.MAX_CONTEXT_BYTES) {
        throw errors.tooLarge(`context is limited to ${c.var.config.MAX_CONTEXT_BYTES} bytes of JSON.`);
      }
      const { answer, residency } = await onCall(
        c.env,
        tenant,
        callId,
        (call) => call.patchContext(context),
        notFoundAnswer,
      );
      if (notFoundAnswer(answer)) await throwEndedOrMissing(c.env, tenant.tenantId, callId, residency);
      return c.json(publicView(unwrap(answer), "hot"), 200);
    },
  );
  app.openapi(
    createRoute({
      method: "post",
      path: "/{callId}/end",
      tags,
      summary: "End a call and archive it",
      ...scoped("calls:write", { audit: { action: "call.end", recordedByCall: true } }),
      request: { params: CallIdParam },
      responses: {
        200: { description: "Ended", content: { "application/json": { schema: EndResponse } } },
        ...problemResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const tenant = tenantRefOf(c.var.principal);
      const { callId } = c.req.valid("param");
      const { answer, residency } = await onCall(
        c.env,
        tenant,
        callId,
        (call) =>
          rpcCall("end", (trace) =>
            call.end("client", {
              requestId: c.var.requestId,
              eventOnRequestLine: true,
              ...actorOf(c.var.principal),
              ...(trace ? { trace } : {}),
            }),
          ),
        notFoundAnswer,
      );
      if (notFoundAnswer(answer)) {
        // Already ended and archived: ending again is a no-op that reports the archived state.
        const warm = await readCall(c.env.DB, tenant.tenantId, callId);
        const view =
          warm ?? (await readTranscript(c.env, archiveBucket(c.env, residency), tenant.tenantId, callId))?.session;
        if (!view || !view.endedAt) throw errors.callNotFound(callId);
        return c.json(
          {
            callId,
            status: "ended" as const,
            endedAt: view.endedAt,
            endReason: view.endReason ?? "client",
            archive: "done" as const,
          },
          200,
        );
      }
      return c.json(acceptedAnswer(c, answer), 200);
    },
  );
}
