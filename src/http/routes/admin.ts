import { forgetVerdict } from "../../security/admission";
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../env";
import { ApiError, errorMessage } from "../../lib/errors";
import { tenantLimits } from "../../security/tenant-limits";
import { log } from "../../observability/log";
import {
  createKey,
  getKey,
  listKeys,
  revokeKey,
  rotateKey,
  undoRotation,
  type StoredKey,
} from "../../security/api-keys";

import type { Principal } from "../../security/scopes";
import { appendAudit, queryAudit } from "../../storage/audit";
import { claimTenantResidency } from "../../storage/residency-store";
import { CreateKeyBody, IsoTime, KeyView, problemResponses, queryInt } from "./schemas";
import { scoped } from "./scoped";

const tags = ["admin"];
const admin = scoped("admin", { allowOperator: true });

/** A tenant admin key manages its own tenant only; the operator token manages every tenant. */
function ownTenant(p: Principal, tenantId: string | undefined): string | undefined {
  if (p.kind === "operator") return tenantId;
  if (tenantId && tenantId !== p.tenantId)
    throw new ApiError(403, "forbidden", "An admin key manages its own tenant only.");
  return p.tenantId;
}

const KeyIdParam = z.object({
  keyId: z
    .string()
    .regex(/^[A-Za-z0-9]{12}$/, "keyId is 12 letters and digits")
    .openapi({ param: { name: "keyId", in: "path" } }),
});

/**
 * A key the principal may manage. Another tenant's key id is reported as missing, not forbidden: ids are not an oracle.
 */
async function ownKey(db: D1Database, p: Principal, keyId: string): Promise<StoredKey> {
  const key = await getKey(db, keyId);
  if (!key || (p.kind === "key" && key.tenantId !== p.tenantId))
    throw new ApiError(404, "key_not_found", `No key '${keyId}' exists.`);
  return key;
}

/**
 * Tells every shard of the tenant that a key changed (D1 already says so), through the tenant's
 * limits object, which knows them all. The shards decide the leases of the tenant's keys from
 * their copies of the records (durable/tenant-shard.ts), so a revocation is in effect in every
 * region once this returns true (false: it may not be yet), here at once, and in every other
 * isolate within VERDICT_TTL_MS, when their verdict for the key runs out (security/admission.ts).
 */
async function keyChangeApplied(env: Env, tenantId: string, keyId: string, requestId: string): Promise<boolean> {
  forgetVerdict(keyId);
  try {
    await tenantLimits(env, tenantId).keyChanged(keyId);
    // Again: a lease sent meanwhile may have reached a shard before it was told.
    forgetVerdict(keyId);
    return true;
  } catch (err) {
    log("key_change_unconfirmed", { requestId, tenantId, keyId, error: errorMessage(err) }, "error");
    return false;
  }
}

function keyChangeUnconfirmed(detail: string): ApiError {
  return new ApiError(503, "key_change_unconfirmed", detail, { headers: { "Retry-After": "1" } });
}

export function adminRoutes() {
  const app = new OpenAPIHono<AppEnv>();

  app.openapi(
    createRoute({
      method: "post",
      path: "/keys",
      tags,
      summary: "Create a tenant API key (shown once)",
      ...admin,
      request: { body: { content: { "application/json": { schema: CreateKeyBody } }, required: true } },
      responses: {
        201: {
          description: "The new key; `key` is never shown again",
          content: { "application/json": { schema: KeyView.extend({ key: z.string() }) } },
        },
        ...problemResponses(400, 401, 403, 409),
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const tenantId = ownTenant(c.var.principal, body.tenantId) ?? body.tenantId;
      const residency = await claimTenantResidency(c.env.DB, tenantId, body.residency);
      const { key, stored } = await createKey(c.env.DB, { tenantId, scopes: body.scopes, name: body.name, residency });
      await appendAudit(c.env.DB, c.var.principal, {
        action: "key.create",
        target: stored.keyId,
        tenantId,
        result: "ok",
        requestId: c.var.requestId,
      });
      return c.json({ ...stored, key }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/keys",
      tags,
      summary: "List keys (never the secret)",
      ...admin,
      request: { query: z.object({ tenantId: z.string().max(64).optional() }) },
      responses: {
        200: { description: "Keys", content: { "application/json": { schema: z.object({ keys: z.array(KeyView) }) } } },
        ...problemResponses(401, 403),
      },
    }),
    async (c) => {
      const tenantId = ownTenant(c.var.principal, c.req.valid("query").tenantId);
      return c.json({ keys: await listKeys(c.env.DB, tenantId) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/keys/{keyId}",
      tags,
      summary: "Revoke a key at once",
      description:
        "Answered 204 once the key's tenant's limits object refuses it: from then on it is refused within " +
        "1 second everywhere (isolates use a key's verdict for at most that long). " +
        "A 503 (key_change_unconfirmed) means the revocation is " +
        "stored but may not be in effect yet: repeat the request (revoking is idempotent) until it answers 204.",
      ...admin,
      request: { params: KeyIdParam },
      responses: { 204: { description: "Revoked" }, ...problemResponses(400, 401, 403, 404, 503) },
    }),
    async (c) => {
      const { keyId } = c.req.valid("param");
      const p = c.var.principal;
      const key = await ownKey(c.env.DB, p, keyId);
      await revokeKey(c.env.DB, keyId);
      if (!(await keyChangeApplied(c.env, key.tenantId, keyId, c.var.requestId))) {
        await appendAudit(c.env.DB, p, {
          action: "key.revoke",
          target: keyId,
          tenantId: key.tenantId,
          result: "error",
          requestId: c.var.requestId,
        });
        throw keyChangeUnconfirmed(
          `Key '${keyId}' is revoked in the key store, but the revocation could not be ` +
            "confirmed in effect yet; repeat this request until it answers 204.",
        );
      }
      await appendAudit(c.env.DB, p, {
        action: "key.revoke",
        target: keyId,
        tenantId: key.tenantId,
        result: "ok",
        requestId: c.var.requestId,
      });
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/keys/{keyId}/rotate",
      tags,
      summary:
        "Rotate a key: a new key (shown once) with the same tenant and scopes; the old one stops after graceSeconds",
      description:
        "A 503 (key_change_unconfirmed) means nothing changed (the new key was " +
        "discarded, the old key is as before): repeat the request.",
      ...admin,
      request: {
        params: KeyIdParam,
        body: {
          content: {
            "application/json": {
              schema: z.object({ graceSeconds: z.number().int().min(0).max(86_400).default(0) }).strict(),
            },
          },
          required: false,
        },
      },
      responses: {
        201: {
          description: "The new key; `key` is never shown again",
          content: {
            "application/json": {
              schema: KeyView.extend({ key: z.string(), replaces: z.string(), previousKeyExpiresAt: z.string() }),
            },
          },
        },
        ...problemResponses(400, 401, 403, 404, 409, 503),
      },
    }),
    async (c) => {
      const { keyId } = c.req.valid("param");
      const graceSeconds = c.req.valid("json")?.graceSeconds ?? 0;
      const p = c.var.principal;
      const old = await ownKey(c.env.DB, p, keyId);
      if (old.revokedAt !== null)
        throw new ApiError(
          409,
          "key_revoked",
          `Key '${keyId}' is revoked (or already rotated); create a new key instead.`,
        );
      const { key, stored, previousExpiresAt } = await rotateKey(c.env.DB, old, graceSeconds);
      if (!(await keyChangeApplied(c.env, old.tenantId, keyId, c.var.requestId))) {
        // The new key cannot be shown with a failure, and a repeated rotation would find the old
        // key revoked (409): undo it, so the client's retry starts from where it was.
        await undoRotation(c.env.DB, keyId, stored.keyId, previousExpiresAt);
        await appendAudit(c.env.DB, p, {
          action: "key.rotate",
          target: `${keyId}->${stored.keyId}`,
          tenantId: old.tenantId,
          result: "error",
          requestId: c.var.requestId,
        });
        throw keyChangeUnconfirmed(
          `Key '${keyId}' could not be rotated just now; nothing was changed. Repeat this request.`,
        );
      }
      await appendAudit(c.env.DB, p, {
        action: "key.rotate",
        target: `${keyId}->${stored.keyId}`,
        tenantId: old.tenantId,
        result: "ok",
        requestId: c.var.requestId,
      });
      return c.json({ ...stored, key, replaces: keyId, previousKeyExpiresAt: previousExpiresAt }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/audit",
      tags,
      summary: "Read the audit log",
      ...admin,
      request: {
        query: z.object({
          tenantId: z.string().max(64).optional(),
          from: IsoTime.optional(),
          to: IsoTime.optional(),
          limit: queryInt(1, 1000).default(100),
        }),
      },
      responses: {
        200: {
          description: "Newest entries first",
          content: {
            "application/json": {
              schema: z.object({
                entries: z.array(
                  z.object({
                    id: z.number(),
                    at: z.string(),
                    actor: z.string(),
                    tenantId: z.string().nullable(),
                    action: z.string(),
                    target: z.string().nullable(),
                    requestId: z.string().nullable(),
                    result: z.string(),
                  }),
                ),
              }),
            },
          },
        },
        ...problemResponses(400, 401, 403),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const tenantId = ownTenant(c.var.principal, q.tenantId);
      return c.json({ entries: await queryAudit(c.env.DB, { tenantId, from: q.from, to: q.to, limit: q.limit }) }, 200);
    },
  );

  return app;
}
