import { createMiddleware } from "hono/factory";
import { routePath } from "hono/route";
import type { AppEnv } from "../env";
import { getConfig } from "../../config/config";
import { log } from "../../observability/log";
import { annotateScope, currentScope, withScope } from "../../observability/scope";
import { newTraceId, parseTraceparent, requestIdFrom } from "../../observability/trace-context";
import { setSpanAttributes } from "../../observability/tracing";

/**
 * Per-request context: a request id (a valid incoming X-Request-Id is echoed, else a new one),
 * the W3C trace id continued from `traceparent`, the parsed config, and one structured log line
 * when the response is done: `request`, or the call event the request caused (`callEvent`).
 * Behind src/index.ts the ids come from the request's invocation scope (whose root span has that
 * trace id); the app alone (tests) decides them here.
 */
export function requestContext() {
  return createMiddleware<AppEnv>(async (c, next) => {
    const outer = currentScope();
    const requestId = outer?.requestId ?? requestIdFrom(c.req.header("X-Request-Id"));
    const traceId = outer?.traceId ?? parseTraceparent(c.req.header("traceparent"))?.traceId ?? newTraceId();
    c.set("requestId", requestId);
    c.set("traceId", traceId);
    c.set("config", getConfig(c.env));
    const started = Date.now();
    await withScope({ requestId, traceId }, async () => {
      try {
        await next();
      } finally {
        c.header("X-Request-Id", requestId);
        const p = c.get("principal");
        const tenantId = p?.kind === "key" ? p.tenantId : undefined;
        annotateScope({ tenantId });
        const route = routePath(c, -1);
        const status = c.res.status;
        setSpanAttributes(
          { "http.route": route, "http.response.status_code": status, "voice.tenant_id": tenantId },
          route && route !== "/*" ? `${c.req.method} ${route}` : undefined,
        );
        // One line per request: the call event it caused (handed back by the call's object), with
        // the request's fields on it, or a plain request line.
        const event = c.get("callEvent");
        log(event?.event ?? "request", {
          method: c.req.method,
          path: new URL(c.req.url).pathname,
          status,
          ms: Date.now() - started,
          keyId: p?.kind === "key" ? p.keyId : p?.kind,
          // Which provider and region answered (speech routes), as the client saw it.
          provider: c.res.headers.get("X-Voice-Provider") ?? undefined,
          region: c.res.headers.get("X-Voice-Region") ?? undefined,
          ...event?.fields,
        });
      }
    });
  });
}
