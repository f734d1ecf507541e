import type { Config } from "../config/config";
import type { CallEvent } from "../pipeline/types";
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
    /**
     * The call event this request caused, handed back by the call's object: the request's log line is that event's
     * (request-context.ts).
     */
    callEvent?: CallEvent;
  };
}
