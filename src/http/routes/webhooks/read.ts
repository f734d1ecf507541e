import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { listEndpoints, readEndpoint } from "../../../storage/webhook-store";
import type { AppEnv } from "../../env";
import { tenantOf } from "../../middleware/auth";
import { scoped } from "../scoped";
import { problemResponses } from "../schemas";
import { EndpointIdParam, EndpointView, ListEndpointsQuery, webhookNotFound } from "./schemas";

/** GET /webhooks and GET /webhooks/{endpointId}: the tenant's endpoints, never their secrets. */
export function readRoutes(app: OpenAPIHono<AppEnv>, tags: string[]): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/",
      tags,
      summary: "List this tenant's webhook endpoints, by id",
      ...scoped("admin"),
      request: { query: ListEndpointsQuery },
      responses: {
        200: {
          description: "A page of endpoints",
          content: {
            "application/json": {
              schema: z.object({ endpoints: z.array(EndpointView), nextCursor: z.string().optional() }),
            },
          },
        },
        ...problemResponses(400, 401, 403),
      },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid("query");
      const found = await listEndpoints(c.env.DB, tenantOf(c.var.principal), { limit: limit + 1, after: cursor });
      const page = found.slice(0, limit);
      const last = page[page.length - 1];
      return c.json({ endpoints: page, ...(found.length > limit && last ? { nextCursor: last.endpointId } : {}) }, 200);
    },
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/{endpointId}",
      tags,
      summary: "Read a webhook endpoint (never its secret)",
      ...scoped("admin"),
      request: { params: EndpointIdParam },
      responses: {
        200: { description: "The endpoint", content: { "application/json": { schema: EndpointView } } },
        ...problemResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const { endpointId } = c.req.valid("param");
      const endpoint = await readEndpoint(c.env.DB, tenantOf(c.var.principal), endpointId);
      if (!endpoint) throw webhookNotFound(endpointId);
      return c.json(endpoint, 200);
    },
  );
}
