import { createMiddleware } from "hono/factory";
import { cors } from "hono/cors";
import type { AppEnv } from "../app-env";
import { providerList } from "../config";

/** Headers a browser client sends: the key, bodies, retries, request and trace ids. */
const ALLOW_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key", "X-Request-Id", "traceparent"];
/** Response headers a browser client may read (ids, which provider answered, throttling). */
const EXPOSE_HEADERS = ["X-Request-Id", "X-Voice-Provider", "X-Voice-Region", "X-Voice-Cache", "X-Voice-Tier", "Retry-After", "Location"];

/**
 * CORS by allow-list (CORS_ORIGINS: exact origins, comma-separated). An origin not on the list
 * gets no CORS headers at all, so browsers keep its pages from reading any response; there is no
 * wildcard, because responses carry tenant data and requests carry keys. Server-to-server clients
 * and telephony bridges send no Origin and are unaffected.
 */
export function corsAllowList() {
  return createMiddleware<AppEnv>(async (c, next) => {
    const allowed = new Set(providerList(c.var.config.CORS_ORIGINS).map((o) => o.replace(/\/+$/, "")));
    if (allowed.size === 0) return next();
    const handler = cors({
      origin: (origin) => (allowed.has(origin.toLowerCase()) ? origin : null),
      allowMethods: ["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
      allowHeaders: ALLOW_HEADERS,
      exposeHeaders: EXPOSE_HEADERS,
      maxAge: 600,
    });
    return handler(c, next);
  });
}
