import type { OpenAPIHono } from "@hono/zod-openapi";
import { swaggerUI } from "@hono/swagger-ui";
import type { AppEnv } from "../env";

/** /openapi.json is generated from the same zod schemas that validate requests; /docs renders it. */
export function docsRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "Tenant API key or ADMIN_TOKEN",
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "voice-edge API",
      version: "1.0.0",
      description:
        "Voice AI on Cloudflare's edge: one Durable Object per call, STT → NLP " +
        "→ TTS, tiered storage. Errors are RFC 9457 problem details.",
    },
    security: [{ bearer: [] }],
  });
  app.get("/docs", swaggerUI({ url: "/openapi.json", title: "voice-edge API" }));
}
