import { describe, expect, it } from "vitest";
import { SCOPES, type Scope } from "../../src/security/scopes";
import { ADMIN_TOKEN, api, createKey, uid } from "../helpers/api";

// OWASP API5:2023 Broken Function Level Authorization. The routes are not listed by hand: every
// operation in /openapi.json declares its scope (http/routes/scoped.ts), and each is called with a key
// holding every other scope. A route added without a scope, or guarded by another scope than it
// documents, fails here.

interface Operation {
  security?: { bearer?: string[]; twilioSignature?: string[] }[];
}
type Doc = { paths: Record<string, Record<string, Operation>> };

const OPEN = new Set(["/healthz", "/readyz"]);
const concrete = (path: string) =>
  path
    .replace("{callId}", "call-x")
    .replace("{keyId}", "AAAAAAAAAAAA")
    .replace("{agentId}", "agent-x")
    .replace("{endpointId}", "hook-x")
    .replace("{eventId}", "evt_x");
const bodyFor = (method: string) => (method === "post" || method === "patch" ? { json: {} } : {});

/** An operation and the scope it documents; `scopes`: all of them, when any one of several admits. */
async function operations(): Promise<{ method: string; path: string; scope: string | undefined; scopes: string[] }[]> {
  const doc = (await (await api("/openapi.json")).json()) as Doc;
  // Twilio's routes (http/routes/telephony.ts) take no API key: Twilio's request signature is their
  // authentication, and test/telephony/twilio.test.ts checks they refuse API keys.
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops)
      .filter(([, op]) => !op.security?.some((s) => s.twilioSignature))
      .map(([method, op]) => ({
        method,
        path,
        scope: op.security?.[0]?.bearer?.[0],
        scopes: (op.security ?? []).flatMap((s) => s.bearer ?? []),
      })),
  );
}

describe("function-level authorization, route by route from the OpenAPI document", () => {
  it("every /api operation declares known scopes (one, or alternatives); only health checks are open", async () => {
    const ops = await operations();
    expect(ops.length).toBeGreaterThan(15);
    for (const op of ops) {
      if (OPEN.has(op.path)) continue;
      expect(op.scopes.length, `${op.method} ${op.path}`).toBeGreaterThan(0);
      for (const scope of op.scopes) expect(SCOPES as readonly string[], `${op.method} ${op.path}`).toContain(scope);
    }
  });

  it("refuses a key holding every scope but the route's own, and admits one holding it", async () => {
    const tenantId = uid("t");
    const keys = new Map<string, { without: string; with: string }>();
    for (const scope of SCOPES) {
      // "admin" implies every scope, so a key "without calls:read" must not hold admin either.
      const others = SCOPES.filter((s) => s !== scope && s !== "admin");
      keys.set(scope, { without: await createKey(tenantId, others), with: await createKey(tenantId, [scope]) });
    }
    for (const op of await operations()) {
      if (!op.path.startsWith("/api/")) continue;
      const pair = keys.get(op.scope as Scope);
      if (!pair) throw new Error(`${op.method} ${op.path}: no scope`);
      // A route some scopes each admit (calls:read or agents:write): the refused key holds none of them.
      const without =
        op.scopes.length > 1
          ? await createKey(
              tenantId,
              SCOPES.filter((s) => !op.scopes.includes(s) && s !== "admin"),
            )
          : pair.without;
      const denied = await api(concrete(op.path), {
        method: op.method.toUpperCase(),
        key: without,
        ...bodyFor(op.method),
      });
      expect(denied.status, `${op.method} ${op.path} without ${op.scopes.join(" or ")}`).toBe(403);
      expect(((await denied.json()) as { code: string }).code).toBe("forbidden");
      const admitted = await api(concrete(op.path), {
        method: op.method.toUpperCase(),
        key: pair.with,
        ...bodyFor(op.method),
      });
      expect([401, 403], `${op.method} ${op.path} with ${op.scope}`).not.toContain(admitted.status);
    }
  });

  it("lets the operator token reach only the operator routes", async () => {
    for (const op of await operations()) {
      if (!op.path.startsWith("/api/")) continue;
      const res = await api(concrete(op.path), {
        method: op.method.toUpperCase(),
        key: ADMIN_TOKEN,
        ...bodyFor(op.method),
      });
      const operatorRoute = op.path.startsWith("/api/v1/admin/") || op.path === "/api/v1/providers";
      if (operatorRoute) expect([401, 403], `${op.method} ${op.path}`).not.toContain(res.status);
      else expect(res.status, `${op.method} ${op.path}`).toBe(403);
    }
  });
});
