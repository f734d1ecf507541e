import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env";
import { getConfig } from "../config";

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/**
 * Per-request context: a request id (a valid incoming X-Request-Id is echoed, else a new one),
 * the W3C trace id continued from `traceparent`, the parsed config, and one structured log line
 * when the response is done.
 */
export function requestContext() {
  return createMiddleware<AppEnv>(async (c, next) => {
    const incoming = c.req.header("X-Request-Id");
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
    const trace = TRACEPARENT.exec(c.req.header("traceparent") ?? "");
    const traceId = trace && !/^0+$/.test(trace[1] ?? "") ? (trace[1] as string) : crypto.randomUUID().replace(/-/g, "");
    c.set("requestId", requestId);
    c.set("traceId", traceId);
    c.set("config", getConfig(c.env));
    const started = Date.now();
    try {
      await next();
    } finally {
      c.header("X-Request-Id", requestId);
      const p = c.get("principal");
      console.log(
        JSON.stringify({
          event: "request",
          requestId,
          traceId,
          method: c.req.method,
          path: new URL(c.req.url).pathname,
          status: c.res.status,
          ms: Date.now() - started,
          tenantId: p?.kind === "key" ? p.tenantId : undefined,
          keyId: p?.kind === "key" ? p.keyId : p?.kind,
          // Which provider and region answered (speech routes), as the client saw it.
          provider: c.res.headers.get("X-Voice-Provider") ?? undefined,
          region: c.res.headers.get("X-Voice-Region") ?? undefined,
        }),
      );
    }
  });
}
