import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { ApiError } from "../../lib/errors";
import { hashKey, keyIdOf, keyUsable, readKeyRecord, type KeyRecord } from "../../security/api-keys";
import { digestsEqual } from "../../security/crypto";
import { ABSENT_KEY, ABSENT_KEY_HASH, firstRefusal, identifyKey } from "../../security/key-cache";
import { admitTenantRequest } from "./tenant-admission";
import type { Residency } from "../../call/residency";
import { hasScope, type Principal, type Scope } from "../../security/scopes";

export interface RequireScopeOptions {
  /** The scope the route needs, or a list of scopes any one of which admits (e.g. calls:read or agents:write). */
  scope: Scope | readonly Scope[];
  /** Accept the operator ADMIN_TOKEN (key management and operator endpoints only). */
  allowOperator?: boolean;
  /** Also accept the credential as `?token=`-style input; reserved for WebSocket routes. */
}

function bearer(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1] ?? null;
}

function unauthorized(): ApiError {
  return new ApiError(401, "unauthorized", "The API key is not valid or has been revoked.", {
    headers: { "WWW-Authenticate": 'Bearer realm="voice-edge", error="invalid_token"' },
  });
}

function lacksScope(scope: Scope | readonly Scope[]): ApiError {
  const named = (typeof scope === "string" ? [scope] : scope).map((s) => `'${s}'`).join(" or ");
  return new ApiError(403, "forbidden", `This API key lacks the ${named} scope this request needs.`);
}

/**
 * The operator token's SHA-256, computed once per isolate and token value (it is configuration,
 * the same for every request), so checking a request against it costs no hashing of its own.
 */
const operatorHashes = new Map<string, Promise<string>>();
function operatorTokenHash(token: string): Promise<string> {
  let hash = operatorHashes.get(token);
  if (!hash) {
    operatorHashes.clear(); // one value at a time: a changed secret replaces the old one
    hash = hashKey(token);
    operatorHashes.set(token, hash);
  }
  return hash;
}

/**
 * Authenticates the request and enforces one scope. Every route under /api/v1 is declared with
 * this middleware; the tenant comes only from the verified key, never from the request.
 *
 * A tenant key's hash is compared with this isolate's key cache (key-cache.ts; on a miss the key
 * is read from D1 first). The request is then admitted by the isolate alone, or after a `lease`
 * from its tenant's shard in the caller's region (TenantShard), which checks the key (revocation)
 * and takes rate-limit tokens together (tenant-admission.ts, security/admission.ts).
 */
export function requireScope(options: RequireScopeOptions) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const presented = bearer(c.req.header("Authorization"));
    if (!presented) {
      throw new ApiError(401, "unauthorized", "Send an API key as 'Authorization: Bearer <key>'.", {
        headers: { "WWW-Authenticate": 'Bearer realm="voice-edge"' },
      });
    }
    // One SHA-256 per request: it is compared with the operator token's and is the key's hash.
    const presentedHash = await hashKey(presented);
    const adminToken = c.var.config.ADMIN_TOKEN;
    if (adminToken && digestsEqual(presentedHash, await operatorTokenHash(adminToken))) {
      if (!options.allowOperator) {
        throw new ApiError(
          403,
          "forbidden",
          "The operator token only manages keys and reads operator " +
            "endpoints; use a tenant API key for calls and voice.",
        );
      }
      const operator: Principal = { kind: "operator" };
      if (!hasScope(operator, options.scope)) throw lacksScope(options.scope);
      c.set("principal", operator);
      return next();
    }
    c.set("principal", await authorizeTenantKey(c, presented, presentedHash, options.scope));
    await next();
  });
}

/**
 * A tenant key's principal, or the 401/403/429 it earns: no RPC for a key that does not match its
 * record, at most one (a lease from the tenant's shard near the caller) for one that does, and no
 * D1 read when the key id is cached.
 */
async function authorizeTenantKey(
  c: Context<AppEnv>,
  presented: string,
  keyHash: string,
  scope: Scope | readonly Scope[],
): Promise<Principal> {
  const keyId = keyIdOf(presented);
  if (!keyId) throw unauthorized();
  const lookedUpAt = Date.now();
  const { known, fresh } = await identifyKey(c.env.DB, keyId);
  // One constant-time comparison whether the key id exists or not, after the same lookup: an
  // unknown id and a wrong secret are refused alike, so the answer's timing tells no key id apart.
  const matches = digestsEqual(keyHash, known === ABSENT_KEY ? ABSENT_KEY_HASH : known.keyHash);
  if (!matches || known === ABSENT_KEY) {
    // A key this isolate already knew, refused for the first time: the same D1 read as an unknown
    // id's first try, so neither first probe answers faster (its result is not needed).
    if (!fresh && known !== ABSENT_KEY && firstRefusal(keyId)) await readKeyRecord(c.env.DB, keyId).catch(() => null);
    throw unauthorized();
  }
  // Just read from D1 and already revoked: refused here, without a round trip to the tenant's object.
  if (fresh && !keyUsable(fresh, keyHash, Date.now())) throw unauthorized();
  const verified: KeyRecord | undefined = fresh;
  const admitted = await admitTenantRequest(c, { keyId, keyHash, known, verified, verifiedAt: lookedUpAt, scope });
  if ("refused" in admitted) throw admitted.refused === "forbidden" ? lacksScope(scope) : unauthorized();
  return admitted;
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
