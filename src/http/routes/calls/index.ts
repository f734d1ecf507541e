import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../env";
import { changeRoutes } from "./change";
import { createRoutes } from "./create";
import { eraseRoutes } from "./erase";
import { readRoutes } from "./read";
import { recordingRoutes } from "./recording";

/** The call routes under /api/v1/calls (turns and the stream have their own: turns.ts, stream.ts). */
export function callRoutes() {
  const app = new OpenAPIHono<AppEnv>();
  const tags = ["calls"];
  createRoutes(app, tags);
  readRoutes(app, tags);
  changeRoutes(app, tags);
  eraseRoutes(app, tags);
  recordingRoutes(app, tags);
  return app;
}
