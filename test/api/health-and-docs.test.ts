import { describe, expect, it } from "vitest";
import { getHealth, resetHealthForTests } from "../../src/routing/health-registry";
import { api } from "../helpers/api";

describe("health", () => {
  it("answers /healthz without a key", async () => {
    const res = await api("/healthz");
    expect(await res.json()).toEqual({ status: "ok" });
  });

  it("reports storage and providers on /readyz: degraded with no STT provider", async () => {
    const res = await api("/readyz");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; checks: Record<string, { ok: boolean }> };
    expect(body.status).toBe("degraded");
    expect(body.checks).toMatchObject({
      d1: { ok: true },
      r2: { ok: true },
      tts: { ok: true },
      stt: { ok: false },
      probes: { ok: true },
    });
  });

  it("reports open circuit breakers", async () => {
    resetHealthForTests();
    getHealth("deepgram", "eu").breaker.onAuthFailure();
    const body = (await (await api("/readyz")).json()) as { checks: Record<string, { ok: boolean; detail?: string }> };
    expect(body.checks.breakers).toEqual({ ok: false, detail: "deepgram@eu open" });
    resetHealthForTests();
    const after = (await (await api("/readyz")).json()) as { checks: Record<string, { ok: boolean }> };
    expect(after.checks.breakers).toEqual({ ok: true });
  });

  it("echoes a valid X-Request-Id and replaces an invalid one", async () => {
    expect(
      (await api("/healthz", { headers: { "X-Request-Id": "client-req-12345" } })).headers.get("X-Request-Id"),
    ).toBe("client-req-12345");
    const replaced = (await api("/healthz", { headers: { "X-Request-Id": "bad id with spaces" } })).headers.get(
      "X-Request-Id",
    );
    expect(replaced).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("OpenAPI", () => {
  it("documents every contract route, generated from the zod schemas", async () => {
    const doc = (await (await api("/openapi.json")).json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(doc.openapi).toBe("3.1.0");
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(routes).toEqual(
      expect.arrayContaining([
        "GET /healthz",
        "GET /readyz",
        "POST /api/v1/voice/transcribe",
        "POST /api/v1/voice/synthesize",
        "POST /api/v1/calls",
        "GET /api/v1/calls",
        "GET /api/v1/calls/{callId}",
        "PATCH /api/v1/calls/{callId}",
        "DELETE /api/v1/calls/{callId}",
        "POST /api/v1/calls/{callId}/turns",
        "POST /api/v1/calls/{callId}/end",
        "GET /api/v1/calls/{callId}/recording",
        "POST /api/v1/admin/keys",
        "GET /api/v1/admin/keys",
        "DELETE /api/v1/admin/keys/{keyId}",
        "GET /api/v1/admin/audit",
      ]),
    );
  });

  it("every documented /api route refuses a request without a key", async () => {
    const doc = (await (await api("/openapi.json")).json()) as { paths: Record<string, Record<string, unknown>> };
    for (const [path, ops] of Object.entries(doc.paths)) {
      if (!path.startsWith("/api/")) continue;
      for (const method of Object.keys(ops)) {
        const res = await api(path.replace("{callId}", "some-call").replace("{keyId}", "AAAAAAAAAAAA"), {
          method: method.toUpperCase(),
        });
        expect(res.status, `${method} ${path}`).toBe(401);
      }
    }
  });

  it("serves a docs page", async () => {
    const res = await api("/docs");
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("/openapi.json");
  });
});
