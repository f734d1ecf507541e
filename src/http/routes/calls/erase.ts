import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../env";
import { errors } from "../../../lib/errors";
import { tenantRefOf } from "../../middleware/auth";
import { recordUse } from "../../middleware/audit";
import { deleteCallObjects } from "../../../storage/cold-store";
import { callExists, deleteCallRows } from "../../../storage/warm-store";
import { archiveBucket } from "../../../storage/residency";
import { forgetCallResidency } from "../../../storage/residency-store";
import { eraseCallEvents } from "../../../storage/webhook-deliveries";
import { onCall } from "../call-stub";
import { scoped } from "../scoped";
import { CallIdParam, problemResponses } from "../schemas";

/** DELETE /calls/{callId}: erase a call from every tier. */
export function eraseRoutes(app: OpenAPIHono<AppEnv>, tags: string[]): void {
  app.openapi(
    createRoute({
      method: "delete",
      path: "/{callId}",
      tags,
      summary: "Erase a call from every tier",
      ...scoped("admin"),
      request: { params: CallIdParam },
      responses: { 204: { description: "Erased" }, ...problemResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const tenant = tenantRefOf(c.var.principal);
      const tenantId = tenant.tenantId;
      const { callId } = c.req.valid("param");
      // The object first, so a pending archive cannot write the call back after we delete it.
      const { answer: hot, residency } = await onCall(
        c.env,
        tenant,
        callId,
        (call) => call.erase(),
        (existed) => !existed,
      );
      const warm = await callExists(c.env.DB, tenantId, callId);
      await deleteCallRows(c.env.DB, tenantId, callId);
      // The call's events kept for webhook deliveries (transcripts among them); what endpoints received is theirs.
      await eraseCallEvents(c.env.DB, tenantId, callId);
      const cold = await deleteCallObjects(archiveBucket(c.env, residency), tenantId, callId);
      // Last, so an interrupted erasure can be retried and still find where the call lived.
      await forgetCallResidency(c.env.DB, tenantId, callId);
      const existed = hot || warm || cold > 0;
      await recordUse(c, "call.erase", callId, existed);
      if (!existed) throw errors.callNotFound(callId);
      return c.body(null, 204);
    },
  );
}
