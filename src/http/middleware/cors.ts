import { createMiddleware } from "hono/factory";
import { cors } from "hono/cors";
import type { AppEnv } from "../env";
import type { MiddlewareHandler } from "hono";
import { providerList, type Config } from "../../config/config";

/** Headers a browser client sends: the key, bodies, retries, request and trace ids. */
const ALLOW_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key", "X-Request-Id", "traceparent"];
/** Response headers a browser client may read (ids, which provider answered, throttling). */
const EXPOSE_HEADERS = [
  "X-Request-Id",
  "X-Voice-Provider",
  "X-Voice-Region",
  "X-Voice-Cache",
  "X-Voice-Tier",
  "Retry-After",
  "Location",
];

/**
 * CORS by allow-list (CORS_ORIGINS: exact origins, comma-separated). An origin not on the list
 * gets no CORS headers at all, so browsers keep its pages from reading any response; there is no
 * wildcard, because responses carry tenant data and requests carry keys. Server-to-server clients
 * and telephony bridges send no Origin and are unaffected.
 */
export function corsAllowList() {
  // Built once per configuration (the parsed config is itself cached per env), not per request.
  const handlers = new WeakMap<Config, MiddlewareHandler | null>();
  const handlerFor = (config: Config): MiddlewareHandler | null => {
    let handler = handlers.get(config);
    if (handler === undefined) {
      const allowed = new Set(providerList(config.CORS_ORIGINS).map((o) => o.replace(/\/+$/, "")));
      handler =
        allowed.size === 0
          ? null
          : cors({
              origin: (origin) => (allowed.has(origin.toLowerCase()) ? origin : null),
              allowMethods: ["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
              allowHeaders: ALLOW_HEADERS,
              exposeHeaders: EXPOSE_HEADERS,
              maxAge: 600,
            });
      handlers.set(config, handler);
    }
    return handler;
  };
  return createMiddleware<AppEnv>(async (c, next) => {
    const handler = handlerFor(c.var.config);
    return handler ? handler(c, next) : next();
  });
}
