import { auditUse, type AuditAction } from "../middleware/audit";
import { requireScope, type RequireScopeOptions } from "../middleware/auth";
import type { Scope } from "../../security/scopes";

export interface ScopedOptions extends Omit<RequireScopeOptions, "scope"> {
  /** The audit record each use of a tenant key on this route leaves (routes that change a call). */
  audit?: AuditAction;
}

/**
 * A route's access rule, declared once: the middleware that enforces the scope and the OpenAPI
 * security requirement that documents it (OpenAPI 3.1 lets a bearer requirement name roles), and
 * the audit action its uses record. Every /api route spreads this into createRoute, and a test
 * walks /openapi.json to check each declared scope is really enforced, so a route cannot be
 * documented one way and guarded another.
 */
export function scoped(scope: Scope | readonly Scope[], options: ScopedOptions = {}) {
  const { audit, ...auth } = options;
  const guard = requireScope({ scope, ...auth });
  // Several scopes: alternative requirements, any one of which admits (OpenAPI's OR).
  const scopes: readonly Scope[] = typeof scope === "string" ? [scope] : scope;
  return {
    middleware: audit ? [guard, auditUse(audit)] : [guard],
    security: scopes.map((s) => ({ bearer: [s] })),
  };
}
