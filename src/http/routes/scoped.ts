import { requireScope, type RequireScopeOptions } from "../middleware/auth";
import type { Scope } from "../../security/scopes";

/**
 * A route's access rule, declared once: the middleware that enforces the scope and the OpenAPI
 * security requirement that documents it (OpenAPI 3.1 lets a bearer requirement name roles). Every
 * /api route spreads this into createRoute, and a test walks /openapi.json to check each declared
 * scope is really enforced, so a route cannot be documented one way and guarded another.
 */
export function scoped(scope: Scope, options: Omit<RequireScopeOptions, "scope"> = {}) {
  const guard = requireScope({ scope, ...options });
  return {
    middleware: [guard] as [typeof guard],
    security: [{ bearer: [scope] }],
  };
}
