import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../env";
import { deliveryRoutes } from "./deliveries";
import { readRoutes } from "./read";
import { writeRoutes } from "./write";

/** The webhook routes under /api/v1/webhooks: a tenant's endpoints and their deliveries (docs/events.md). */
export function webhookRoutes() {
  const app = new OpenAPIHono<AppEnv>();
  const tags = ["webhooks"];
  writeRoutes(app, tags);
  readRoutes(app, tags);
  deliveryRoutes(app, tags);
  return app;
}
