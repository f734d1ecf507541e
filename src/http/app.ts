import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "./env";
import { ConfigError } from "../config/config";
import { asApiError, problem, problemResponse, type Problem } from "../lib/errors";
import { recordHttpError } from "../observability/metric-hooks";
import { requestContext } from "./middleware/request-context";
import { corsAllowList } from "./middleware/cors";
import { jsonBodyLimit } from "./middleware/json-body-limit";
import { utf8JsonBody } from "./middleware/json-encoding";
import { adminRoutes } from "./routes/admin";
import { agentRoutes } from "./routes/agents";
import { callRoutes } from "./routes/calls";
import { docsRoutes } from "./routes/docs";
import { healthRoutes } from "./routes/health";
import { metricsRoutes } from "./routes/metrics";
import { providerRoutes } from "./routes/providers";
import { streamRoutes } from "./routes/stream";
import { telephonyRoutes } from "./routes/telephony";
import { turnRoutes } from "./routes/turns";
import { voiceRoutes } from "./routes/voice";
import { webhookRoutes } from "./routes/webhooks";
import { validationHook } from "./routes/validation";
import { log } from "../observability/log";

/** Hono's own refusals (validator body parsing, content-type checks) as problem details. */
function httpExceptionProblem(err: HTTPException, contentType: string | undefined, requestId: string | undefined) {
  switch (err.status) {
    case 400:
      return problem(400, "invalid_json", "The request body is not valid JSON.", requestId);
    case 413:
      return problem(413, "payload_too_large", "The request body is too large.", requestId);
    case 415:
      return problem(
        415,
        "unsupported_media_type",
        `Content-Type '${contentType ?? "none"}' is not accepted by this ` +
          "route; /openapi.json lists the request types it takes.",
        requestId,
      );
    default:
      return problem(err.status, "bad_request", err.message || "The request was refused.", requestId);
  }
}

/** A problem response, counted in the global voice_http_errors_total by code (metrics-global.ts). */
function countedProblem(c: Context<AppEnv>, p: Problem, headers?: Record<string, string>): Response {
  recordHttpError(c.env, executionContextOf(c), p.status, p.code);
  return problemResponse(p, headers);
}

/** The request's waitUntil; a context without one (a bare app.request in tests) drops the update. */
function executionContextOf(c: Context<AppEnv>): { waitUntil(p: Promise<unknown>): void } {
  try {
    return c.executionCtx;
  } catch {
    return { waitUntil: () => undefined };
  }
}

export function createApp() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.use("*", requestContext());
  app.use("*", secureHeaders());
  app.use("*", corsAllowList());
  app.use("/api/*", jsonBodyLimit());
  app.use("/api/*", utf8JsonBody());

  app.route("/", healthRoutes());
  app.route("/api/v1/voice", voiceRoutes());
  app.route("/api/v1/calls", callRoutes());
  app.route("/api/v1/calls", turnRoutes());
  app.route("/api/v1/calls", streamRoutes());
  app.route("/api/v1/agents", agentRoutes());
  app.route("/api/v1/webhooks", webhookRoutes());
  app.route("/api/v1/admin", adminRoutes());
  app.route("/api/v1/providers", providerRoutes());
  app.route("/api/v1/telephony", telephonyRoutes());
  app.route("/", metricsRoutes());
  docsRoutes(app);

  app.notFound((c) =>
    countedProblem(
      c,
      problem(
        404,
        "not_found",
        `No route for ${c.req.method} ${new URL(c.req.url).pathname}; see /docs.`,
        c.var.requestId,
      ),
    ),
  );

  // The one place errors become responses: public detail out, internal detail to the log.
  app.onError((err, c) => {
    const requestId = c.var.requestId;
    const api = asApiError(err);
    if (api) {
      if (api.options.internal) log("api_error", { requestId, code: api.code, internal: api.options.internal }, "warn");
      return countedProblem(c, problem(api.status, api.code, api.detail, requestId), api.options.headers);
    }
    if (err instanceof HTTPException)
      return countedProblem(c, httpExceptionProblem(err, c.req.header("Content-Type"), requestId));
    if (err instanceof ConfigError) {
      // Names the variable and the rule it breaks (never its value) so the deployer can fix it.
      log("configuration_error", { requestId, message: err.message }, "error");
      return countedProblem(
        c,
        problem(
          500,
          "configuration_error",
          `This deployment is misconfigured (${err.message}); its operator must fix the setting.`,
          requestId,
        ),
      );
    }
    log("unhandled_error", { requestId, message: err.message, stack: err.stack }, "error");
    return countedProblem(
      c,
      problem(
        500,
        "internal_error",
        `Something went wrong on our side; quote request id ${requestId ?? "unknown"} when reporting it.`,
        requestId,
      ),
    );
  });

  return app;
}
