import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../env";
import { putRoutes } from "./put";
import { readRoutes } from "./read";
import { removeRoutes } from "./remove";

/** The agent routes under /api/v1/agents: a tenant's agents as data, versioned (src/storage/agent-store.ts). */
export function agentRoutes() {
  const app = new OpenAPIHono<AppEnv>();
  const tags = ["agents"];
  putRoutes(app, tags);
  readRoutes(app, tags);
  removeRoutes(app, tags);
  return app;
}
