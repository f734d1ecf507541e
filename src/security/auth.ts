import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env";
import { ApiError } from "../errors";
import { verifyKey } from "./api-keys";
import { timingSafeEqualStrings } from "./crypto";
import { tenantRequestLimit } from "./rate-limit";
import type { Residency } from "../storage/residency";
import { hasScope, type Principal, type Scope } from "./scopes";

export interface RequireScopeOptions {
  scope: Scope;
  /** Accept the operator ADMIN_TOKEN (key management and operator endpoints only). */
  allowOperator?: boolean;
  /** Also accept the credential as `?token=`-style input; reserved for WebSocket routes. */
}

function bearer(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1] ?? null;
}

/**
 * Authenticates the request and enforces one scope. Every route under /api/v1 is declared with
 * this middleware; the tenant comes only from the verified key, never from the request.
 */
export function requireScope(options: RequireScopeOptions) {
  // Chained right after authentication, so every tenant request on every /api route is counted.
  const rateLimit = tenantRequestLimit();
  return createMiddleware<AppEnv>(async (c, next) => {
    const presented = bearer(c.req.header("Authorization"));
    if (!presented) {
      throw new ApiError(401, "unauthorized", "Send an API key as 'Authorization: Bearer <key>'.", {
        headers: { "WWW-Authenticate": 'Bearer realm="voice-edge"' },
      });
    }
    let principal: Principal | null = null;
    const adminToken = c.var.config.ADMIN_TOKEN;
    if (adminToken && (await timingSafeEqualStrings(presented, adminToken))) {
      principal = { kind: "operator" };
    } else {
      const key = await verifyKey(c.env.DB, presented);
      if (key) principal = { kind: "key", keyId: key.keyId, tenantId: key.tenantId, scopes: key.scopes, residency: key.residency };
    }
    if (!principal) {
      throw new ApiError(401, "unauthorized", "The API key is not valid or has been revoked.", {
        headers: { "WWW-Authenticate": 'Bearer realm="voice-edge", error="invalid_token"' },
      });
    }
    if (principal.kind === "operator" && !options.allowOperator) {
      throw new ApiError(
        403,
        "forbidden",
        "The operator token only manages keys and reads operator endpoints; use a tenant API key for calls and voice.",
      );
    }
    if (!hasScope(principal, options.scope)) {
      throw new ApiError(403, "forbidden", `This API key lacks the '${options.scope}' scope this request needs.`);
    }
    c.set("principal", principal);
    await rateLimit(c, next);
  });
}

/** The tenant of a key principal; routes that own call data call this after requireScope. */
export function tenantOf(principal: Principal): string {
  return tenantRefOf(principal).tenantId;
}

/** The tenant with its residency, for routes that place data or choose provider regions. */
export function tenantRefOf(principal: Principal): TenantRef {
  if (principal.kind !== "key") throw new ApiError(403, "forbidden", "A tenant API key is required.");
  return { tenantId: principal.tenantId, residency: principal.residency };
}

export interface TenantRef {
  tenantId: string;
  residency: Residency | null;
}
