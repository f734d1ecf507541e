import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { EventMessage } from "../../../call/events";
import { RETRY_WINDOW_MS } from "../../../events/backoff";
import { ApiError } from "../../../lib/errors";
import { listDeliveries, requeueDelivery } from "../../../storage/webhook-deliveries";
import { readEndpoint } from "../../../storage/webhook-store";
import type { AppEnv } from "../../env";
import { tenantOf } from "../../middleware/auth";
import { scoped } from "../scoped";
import { problemResponses } from "../schemas";
import {
  DeliveryParams,
  deliveryCursor,
  DeliveryView,
  EndpointIdParam,
  ListDeliveriesQuery,
  parseDeliveryCursor,
  RetryAccepted,
  webhookNotFound,
} from "./schemas";

/** GET /webhooks/{endpointId}/deliveries and POST /webhooks/{endpointId}/deliveries/{eventId}/retry. */
export function deliveryRoutes(app: OpenAPIHono<AppEnv>, tags: string[]): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/{endpointId}/deliveries",
      tags,
      summary: "An endpoint's deliveries, newest first: status, attempts, last answer",
      ...scoped("admin"),
      request: { params: EndpointIdParam, query: ListDeliveriesQuery },
      responses: {
        200: {
          description: "A page of deliveries",
          content: {
            "application/json": {
              schema: z.object({ deliveries: z.array(DeliveryView), nextCursor: z.string().optional() }),
            },
          },
        },
        ...problemResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const tenantId = tenantOf(c.var.principal);
      const { endpointId } = c.req.valid("param");
      const { status, limit, cursor } = c.req.valid("query");
      const before = parseDeliveryCursor(cursor);
      if (!(await readEndpoint(c.env.DB, tenantId, endpointId))) throw webhookNotFound(endpointId);
      const found = await listDeliveries(c.env.DB, tenantId, endpointId, { status, limit: limit + 1, before });
      const page = found.slice(0, limit);
      const last = page[page.length - 1];
      const next = found.length > limit && last ? { nextCursor: deliveryCursor(last) } : {};
      return c.json({ deliveries: page, ...next }, 200);
    },
  );
  app.openapi(
    createRoute({
      method: "post",
      path: "/{endpointId}/deliveries/{eventId}/retry",
      tags,
      summary: "Send an event to the endpoint again, now",
      description:
        "Queues one more attempt at once, whatever the delivery's status (a delivered event is sent again, with " +
        "the same webhook-id); if it fails it is retried with backoff for another 24 hours.",
      ...scoped("admin", { audit: { action: "webhook.retry" } }),
      request: { params: DeliveryParams },
      responses: {
        202: { description: "Queued", content: { "application/json": { schema: RetryAccepted } } },
        ...problemResponses(400, 401, 403, 404, 409),
      },
    }),
    async (c) => {
      const tenantId = tenantOf(c.var.principal);
      const { endpointId, eventId } = c.req.valid("param");
      const endpoint = await readEndpoint(c.env.DB, tenantId, endpointId);
      if (!endpoint) throw webhookNotFound(endpointId);
      if (!endpoint.enabled)
        throw new ApiError(
          409,
          "webhook_disabled",
          `Webhook endpoint '${endpointId}' is disabled; enable it (PUT with "enabled": true) before retrying.`,
        );
      const key = { tenantId, endpointId, eventId };
      if (!(await requeueDelivery(c.env.DB, key, new Date(), RETRY_WINDOW_MS)))
        throw new ApiError(
          404,
          "delivery_not_found",
          `Webhook endpoint '${endpointId}' has no delivery of event '${eventId}'.`,
        );
      const message: EventMessage = { v: 1, kind: "delivery", ...key };
      await c.env.EVENTS.send(message);
      return c.json({ endpointId, eventId, status: "pending" as const }, 202);
    },
  );
}
