import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { checkedEndpoint, endpointIssues, invalidEndpoint } from "../../../events/endpoint";
import { deleteEndpoint, putEndpoint } from "../../../storage/webhook-store";
import type { AppEnv } from "../../env";
import { tenantOf } from "../../middleware/auth";
import { scoped } from "../scoped";
import { problemResponses } from "../schemas";
import { validationHook } from "../validation";
import { EndpointCreated, EndpointDefinition, EndpointIdParam, EndpointView, webhookNotFound } from "./schemas";

/** PUT /webhooks/{endpointId} (create: 201 with the secret; replace: 200) and DELETE /webhooks/{endpointId}. */
export function writeRoutes(app: OpenAPIHono<AppEnv>, tags: string[]): void {
  app.openapi(
    createRoute({
      method: "put",
      path: "/{endpointId}",
      tags,
      summary: "Create a webhook endpoint, or replace its URL, events and enabled flag",
      description:
        "The signing secret is returned only when the endpoint is created (also after a DELETE); a PUT to an " +
        "existing endpoint keeps it. `enabled: false` pauses deliveries: pending ones are given up (`failed`).",
      ...scoped("admin", { audit: { action: "webhook.put" } }),
      request: {
        params: EndpointIdParam,
        body: { content: { "application/json": { schema: EndpointDefinition } }, required: true },
      },
      responses: {
        201: { description: "Endpoint created", content: { "application/json": { schema: EndpointCreated } } },
        200: { description: "Endpoint replaced", content: { "application/json": { schema: EndpointView } } },
        ...problemResponses(400, 401, 403, 413, 415),
      },
    }),
    async (c) => {
      const tenantId = tenantOf(c.var.principal);
      const { endpointId } = c.req.valid("param");
      const fields = checkedEndpoint(c.req.valid("json"), { allowPrivateUrls: c.var.config.ALLOW_PRIVATE_TOOL_URLS });
      const put = await putEndpoint(c.env, tenantId, endpointId, fields);
      c.header("Location", `/api/v1/webhooks/${endpointId}`);
      if (put.secret) return c.json({ ...put.endpoint, secret: put.secret }, 201);
      return c.json(put.endpoint, 200);
    },
    // A body that is not a valid endpoint is `invalid_webhook`, each problem naming its field; anything
    // else (the path's endpointId) is the usual `invalid_request`.
    (result, c) => {
      if (!result.success && result.target === "json") throw invalidEndpoint(endpointIssues(result.error.issues));
      return validationHook(result, c);
    },
  );
  app.openapi(
    createRoute({
      method: "delete",
      path: "/{endpointId}",
      tags,
      summary: "Delete a webhook endpoint",
      description: "Nothing more is sent to it, retries included; its deliveries' records go with it.",
      ...scoped("admin", { audit: { action: "webhook.delete" } }),
      request: { params: EndpointIdParam },
      responses: { 204: { description: "Deleted" }, ...problemResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const { endpointId } = c.req.valid("param");
      if (!(await deleteEndpoint(c.env.DB, tenantOf(c.var.principal), endpointId))) throw webhookNotFound(endpointId);
      return c.body(null, 204);
    },
  );
}
