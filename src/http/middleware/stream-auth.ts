import { createMiddleware } from "hono/factory";
import { ApiError } from "../../lib/errors";
import { readKeyRecord } from "../../security/api-keys";
import { hasScope } from "../../security/scopes";
import { parseStreamToken } from "../../security/stream-token";
import type { AppEnv } from "../env";
import { requireScope } from "./auth";

function invalidToken(): ApiError {
  return new ApiError(
    401,
    "unauthorized",
    "The stream token is not valid: it has expired (tokens last 60 s), was already used, or its " +
      "key was revoked. Get a new one from POST /api/v1/calls/{callId}/stream-token.",
    {
      headers: { "WWW-Authenticate": 'Bearer realm="voice-edge", error="invalid_token"' },
    },
  );
}

/** Whether the request authenticates with `?token=` (no Authorization header: a Bearer key wins). */
export function usesStreamToken(c: {
  req: { query(name: string): string | undefined; header(name: string): string | undefined };
}): boolean {
  return c.req.query("token") !== undefined && c.req.header("Authorization") === undefined;
}

/**
 * The stream route's authentication: a Bearer key with calls:write (requireScope, rate limited as
 * every request), or `?token=`. A token's claims must name this call, and its key must still be
 * usable (one D1 read); whether the token itself is valid, the call's object decides when it
 * redeems it. Upgrades with a token take no rate-limit token: minting the token took one.
 */
export function streamAuth() {
  const bearer = requireScope({ scope: "calls:write" });
  return createMiddleware<AppEnv>(async (c, next) => {
    if (!usesStreamToken(c)) return bearer(c, next);
    const claims = parseStreamToken(c.req.query("token") ?? "");
    if (!claims || claims.callId !== c.req.param("callId")) throw invalidToken();
    const key = await readKeyRecord(c.env.DB, claims.keyId);
    const revoked = key?.revokedAt != null && Date.parse(key.revokedAt) <= Date.now();
    if (!key || key.tenantId !== claims.tenantId || revoked) throw invalidToken();
    const principal = {
      kind: "key" as const,
      keyId: key.keyId,
      tenantId: key.tenantId,
      scopes: key.scopes,
      residency: key.residency,
    };
    if (!hasScope(principal, "calls:write")) throw invalidToken();
    c.set("principal", principal);
    await next();
  });
}
