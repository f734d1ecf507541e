import { describe, expect, it } from "vitest";
import { createApp } from "../../src/http/app";
import { api } from "../helpers/api";

// OWASP API9:2023 Improper Inventory Management: /openapi.json lists exactly the routes that exist,
// no undocumented (forgotten, debug, older-version) route answers, and there is one API version.

const DOC_ROUTES = new Set(["GET /openapi.json", "GET /docs"]);

describe("API inventory", () => {
  it("documents exactly the routes the app serves", async () => {
    const served = new Set(
      createApp()
        .routes.filter((r) => r.method !== "ALL")
        .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, "{$1}").replace(/\/$/, "") || "/"}`)
        .filter((r) => !DOC_ROUTES.has(r)),
    );
    const doc = (await (await api("/openapi.json")).json()) as { paths: Record<string, Record<string, unknown>> };
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)),
    );
    expect([...served].sort()).toEqual([...documented].sort());
  });

  it("answers undocumented paths, other versions and debug endpoints with a 404 problem", async () => {
    for (const path of [
      "/api/v0/calls",
      "/api/v2/calls",
      "/api/v1/debug",
      "/admin",
      "/.env",
      "/api/v1/admin/keys/export",
      "/metrics.json",
    ]) {
      const res = await api(path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get("Content-Type")).toBe("application/problem+json");
    }
  });
});
