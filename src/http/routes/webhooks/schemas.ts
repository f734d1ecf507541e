import { z } from "@hono/zod-openapi";
import { EVENT_TYPES } from "../../../call/events";
import { ENDPOINT_ID, EndpointDefinitionSchema } from "../../../events/endpoint";
import { ApiError } from "../../../lib/errors";
import { base64Url } from "../../../lib/base64";
import type { DeliveryCursor } from "../../../storage/webhook-deliveries";
import { queryInt } from "../schemas";

/** zod schemas of the webhook routes (the OpenAPI document is generated from these). */

const EndpointId = z
  .string()
  .regex(ENDPOINT_ID, "endpointId must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-'")
  .openapi({ example: "crm" });

export const EndpointIdParam = z.object({
  endpointId: EndpointId.openapi({ param: { name: "endpointId", in: "path" } }),
});

export const DeliveryParams = EndpointIdParam.extend({
  eventId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,128}$/, "eventId must be an event id such as evt_3Jq8...")
    .openapi({ param: { name: "eventId", in: "path" }, example: "evt_01J9ZQ4V7Y" }),
});

export const EndpointDefinition = EndpointDefinitionSchema.openapi("WebhookEndpointDefinition", {
  description:
    "Where a tenant's events go and which ones. Unknown fields are refused (400 invalid_webhook, naming the field).",
});

const EventType = z.enum(EVENT_TYPES);

export const EndpointView = z
  .object({
    endpointId: z.string(),
    url: z.string(),
    events: z.array(EventType),
    enabled: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("WebhookEndpoint");

export const EndpointCreated = EndpointView.extend({
  secret: z.string().openapi({
    description: "`whsec_` + base64 of 32 random bytes: signs every delivery to this endpoint. Shown only here.",
    example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw0dFqzSyFoMM=",
  }),
}).openapi("WebhookEndpointCreated");

export const ListEndpointsQuery = z.object({
  limit: queryInt(1, 100).default(50),
  cursor: EndpointId.optional().openapi({ description: "nextCursor of the previous page" }),
});

const DeliveryStatus = z.enum(["pending", "delivered", "failed"]);

export const DeliveryView = z
  .object({
    eventId: z.string(),
    eventType: EventType,
    eventCreatedAt: z.string(),
    callId: z.string(),
    status: DeliveryStatus.openapi({
      description: "pending (being retried), delivered (a 2xx answer), failed (given up)",
    }),
    attempts: z.number().int(),
    lastStatus: z.number().int().nullable().openapi({ description: "The endpoint's last HTTP status (null: none)" }),
    lastLatencyMs: z.number().int().nullable(),
    lastError: z.string().nullable(),
    firstAttemptAt: z.string().nullable(),
    lastAttemptAt: z.string().nullable(),
    nextAttemptAt: z.string().nullable().openapi({ description: "When the next automatic attempt is due" }),
    deliveredAt: z.string().nullable().openapi({ description: "The first successful attempt" }),
    createdAt: z.string(),
  })
  .openapi("WebhookDelivery");

export const ListDeliveriesQuery = z.object({
  status: DeliveryStatus.optional(),
  limit: queryInt(1, 100).default(50),
  cursor: z
    .string()
    .max(256)
    .regex(/^[A-Za-z0-9_-]+$/, "cursor must be a nextCursor this API returned")
    .optional()
    .openapi({ description: "nextCursor of the previous page" }),
});

export const RetryAccepted = z
  .object({ endpointId: z.string(), eventId: z.string(), status: z.literal("pending") })
  .openapi("WebhookRetry");

/** A page position as an opaque cursor. */
export function deliveryCursor(c: DeliveryCursor): string {
  return base64Url(JSON.stringify([c.createdAt, c.eventId]));
}

/** The position a cursor names; a cursor this API did not make is 400. */
export function parseDeliveryCursor(cursor: string | undefined): DeliveryCursor | undefined {
  if (cursor === undefined) return undefined;
  try {
    const json = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
    const value: unknown = JSON.parse(json);
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === "string" &&
      !Number.isNaN(Date.parse(value[0])) &&
      typeof value[1] === "string" &&
      /^[A-Za-z0-9_-]{1,128}$/.test(value[1])
    )
      return { createdAt: value[0], eventId: value[1] };
  } catch {
    // falls through to the 400
  }
  throw new ApiError(
    400,
    "invalid_request",
    "The request query is invalid: cursor: must be a nextCursor this API returned.",
  );
}

export const webhookNotFound = (endpointId: string) =>
  new ApiError(404, "webhook_not_found", `No webhook endpoint with id '${endpointId}' exists for this tenant.`);
