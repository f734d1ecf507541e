import type { Config } from "../config/config";
import type { CarriedEvent } from "../observability/scope";
import type { Principal } from "../security/scopes";

/** Hono's typing of what every handler can read: bindings plus per-request variables. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    config: Config;
    principal: Principal;
    /** W3C trace id from an incoming `traceparent`, or a new one. */
    traceId: string;
    /** Set when the call's object recorded this request's key use itself (http/middleware/audit.ts). */
    auditedByCall?: boolean;
    /**
     * The call event this request caused, handed back by the call's object: the request's log line is that event's
     * (request-context.ts).
     */
    callEvent?: CarriedEvent;
  };
}
